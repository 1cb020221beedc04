import Fluent
import Foundation
import Vapor

/// `getyour create-staff --email … --role verifier|coordinator|admin [--program slug]`:
/// the only way to create a staff account (P1, P12). At a terminal it asks for the password
/// twice; otherwise it queues an invitation email with a one-time link to set it (valid 24
/// hours), sent by `getyour jobs`; `--link` also prints that link.
struct CreateStaffCommand: AsyncCommand {
    struct Signature: CommandSignature {
        @Option(name: "email", help: "The staff member's email address") var email: String?
        @Option(name: "role", help: "verifier, coordinator or admin") var role: String?
        @Option(name: "program", help: "Benefit program slug(s) a coordinator works on, separated by commas") var program: String?
        @Option(name: "first-name", help: "First name (default: Staff)") var firstName: String?
        @Option(name: "last-name", help: "Last name (default: the role)") var lastName: String?
        @Flag(name: "link", help: "Do not ask for a password: queue the invitation and print its set-password link too")
        var link: Bool
    }

    var help: String { "Creates a staff account (verification staff, program coordinator or platform admin)." }

    func run(using context: CommandContext, signature: Signature) async throws {
        let app = context.application
        let email = User.normalise(email: signature.email ?? "")
        guard ContactRules.isEmail(email) else { throw CommandError.invalidArgument("--email must be a valid email address") }
        guard let role = signature.role.flatMap(User.Role.init(rawValue:)), role.isStaff else {
            throw CommandError.invalidArgument("--role must be verifier, coordinator or admin")
        }
        let programs = (signature.program ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter {
            !$0.isEmpty
        }
        if role == .coordinator, programs.isEmpty {
            throw CommandError.invalidArgument("a coordinator needs --program with the benefit program slug(s) they work on")
        }
        let db = app.db(.primary)
        let interactive = !signature.link && isatty(STDIN_FILENO) == 1
        let first = signature.firstName ?? "Staff", last = signature.lastName ?? role.rawValue.capitalized
        guard interactive else {
            do {
                let (_, secret) = try await StaffAccounts.invite(
                    email: email, role: role, programs: programs, firstName: first, lastName: last, app: app, on: db)
                context.console.print("Created \(role.rawValue) account for \(email).")
                context.console.print("An invitation with a one-time link to set the password (valid 24 hours) is queued for \(email).")
                if signature.link {
                    context.console.print("The same link, to hand over another way:")
                    context.console.print(app.link(to: .passwordResetToken, secret))
                }
            } catch let problem as StaffAccounts.Problem {
                throw CommandError.invalidArgument(Self.explain(problem))
            }
            return
        }
        guard try await User.find(email: email, on: db) == nil else {
            throw CommandError.invalidArgument("an account with that email already exists")
        }
        let password = context.console.ask("Password for the new account: ", isSecure: true)
        guard password == context.console.ask("The same password again: ", isSecure: true) else {
            throw CommandError.invalidArgument("the two passwords differ")
        }
        if let problem = app.accounts.rules.problem(with: password, email: email, names: []) {
            throw CommandError.invalidArgument(
                app.messages.text(problem, .en, [String(PasswordRules.minimumLength), String(PasswordRules.maximumLength)]))
        }
        let user = User(
            email: email, passwordHash: try await app.accounts.hasher.hash(password), firstName: first, lastName: last, phone: "",
            language: .en, role: role)
        // An operator vouches for a staff address.
        user.emailConfirmedAt = app.clock.now()
        try await db.writeTransaction { db in
            try await user.create(on: db)
            for slug in programs { try await StaffProgramScope(userID: try user.requireID(), programSlug: slug).create(on: db) }
        }
        context.console.print("Created \(role.rawValue) account for \(email).")
    }

    static func explain(_ problem: StaffAccounts.Problem) -> String {
        switch problem {
        case .emailInvalid: "--email must be a valid email address"
        case .emailTaken: "an account with that email already exists"
        case .roleInvalid: "--role must be verifier, coordinator or admin"
        case .programsNeeded: "a coordinator needs --program with the benefit program slug(s) they work on"
        case .programUnknown: "--program names a benefit program that does not exist (see settings/programs.toml)"
        case .ownAccount, .lastAdmin: problem.rawValue
        }
    }
}
