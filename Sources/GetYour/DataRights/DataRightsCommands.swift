import Fluent
import Foundation
import Vapor

/// `getyour erase-user --email E [--yes]`: deletes a resident's account and personal data for
/// a request received outside the app (a letter, a phone call), exactly as `/settings/delete`
/// does. Asks for confirmation at a terminal unless `--yes`; prints what it removed as
/// counts, never the data. Audited as the operator.
struct EraseUserCommand: AsyncCommand {
    struct Signature: CommandSignature {
        @Option(name: "email", help: "The resident's account email") var email: String?
        @Flag(name: "yes", help: "Do not ask for confirmation") var yes: Bool
    }

    var help: String { "Deletes a resident's account, documents and personal data (as /settings/delete does); prints counts only." }

    func run(using context: CommandContext, signature: Signature) async throws {
        let app = context.application
        let user = try await OperatorLookup.resident(signature.email, app)
        if !signature.yes {
            guard isatty(STDIN_FILENO) == 1 else {
                throw CommandError.invalidArgument("not at a terminal: add --yes to erase without a question")
            }
            let answer = context.console.ask("Erase this account and all its data? This cannot be undone. Type yes: ")
            guard answer.trimmingCharacters(in: .whitespaces).lowercased() == "yes" else {
                context.console.print("Nothing was changed.")
                return
            }
        }
        let userID = try user.requireID(), now = app.clock.now()
        let summary = try await AccountErasure.erase(user, app: app) { db in
            try await AuditEvent(
                actorID: "operator", actorRole: "operator", action: .accountErased, subject: .init(user: userID),
                requestID: "cli-erase-user", at: now
            ).create(on: db)
        }
        context.console.print(summary.description)
    }
}

/// `getyour export-user --email E --out FILE.zip`: the same zip `/settings/export` gives the
/// resident (`data.json` and their documents), for a request received outside the app.
/// Audited as the operator. The file holds personal data: it is created readable by its
/// owner only.
struct ExportUserCommand: AsyncCommand {
    struct Signature: CommandSignature {
        @Option(name: "email", help: "The resident's account email") var email: String?
        @Option(name: "out", help: "Where to write the zip (must not exist)") var out: String?
    }

    var help: String { "Writes a resident's data (data.json and their documents) to a zip, as /settings/export gives it." }

    func run(using context: CommandContext, signature: Signature) async throws {
        let app = context.application
        guard let out = signature.out, !out.isEmpty else { throw CommandError.invalidArgument("--out FILE.zip is required") }
        let destination = URL(fileURLWithPath: out)
        guard !FileManager.default.fileExists(atPath: destination.path) else {
            throw CommandError.invalidArgument("\(out) exists already: give a new file name")
        }
        let user = try await OperatorLookup.resident(signature.email, app)
        try await AccountData.writeZip(for: user, app: app, to: destination)
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: destination.path)
        try await AuditEvent(
            actorID: "operator", actorRole: "operator", action: .accountExported, subject: .init(user: user.requireID()),
            requestID: "cli-export-user", at: app.clock.now()
        ).create(on: app.db(.primary))
        let size = (try? FileManager.default.attributesOfItem(atPath: destination.path)[.size] as? Int) ?? 0
        context.console.print("Wrote \(out) (\(size) bytes): data.json and the account's documents.")
    }
}

enum OperatorLookup {
    static func resident(_ email: String?, _ app: Application) async throws -> User {
        let address = User.normalise(email: email ?? "")
        guard ContactRules.isEmail(address) else { throw CommandError.invalidArgument("--email must be an email address") }
        guard let user = try await User.find(email: address, on: app.db(.primary)) else {
            throw CommandError.invalidArgument("no account has that email")
        }
        guard user.role == .resident else {
            throw CommandError.invalidArgument("that is a staff account: deactivate it in /staff/admin/staff instead")
        }
        return user
    }
}
