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
        guard try await User.find(email: email, on: db) == nil else {
            throw CommandError.invalidArgument("an account with that email already exists")
        }
        let interactive = !signature.link && isatty(STDIN_FILENO) == 1
        var passwordHash = "!unusable"  // no bcrypt hash starts with "!": nobody can sign in until the link is used
        if interactive {
            let password = context.console.ask("Password for the new account: ", isSecure: true)
            guard password == context.console.ask("The same password again: ", isSecure: true) else {
                throw CommandError.invalidArgument("the two passwords differ")
            }
            if let problem = app.accounts.rules.problem(with: password, email: email, names: []) {
                throw CommandError.invalidArgument(
                    app.messages.text(problem, .en, [String(PasswordRules.minimumLength), String(PasswordRules.maximumLength)]))
            }
            passwordHash = try await app.accounts.hasher.hash(password)
        }
        let user = User(
            email: email, passwordHash: passwordHash, firstName: signature.firstName ?? "Staff",
            lastName: signature.lastName ?? role.rawValue.capitalized, phone: "", language: .en, role: role)
        // An operator vouches for a staff address; the set-password link goes to it anyway.
        user.emailConfirmedAt = app.clock.now()
        let now = app.clock.now()
        let secret: String? = try await db.writeTransaction { db in
            try await user.create(on: db)
            for slug in programs { try await StaffProgramScope(userID: try user.requireID(), programSlug: slug).create(on: db) }
            guard !interactive else { return nil }
            // The invitation carries a one-time link to choose the password (valid 24 hours).
            let secret = try await AccountToken.issue(.setPassword, for: try user.requireID(), now: now, on: db)
            try await app.outbox(on: db).enqueue(
                .staffInvitation, to: user,
                data: MessageData(name: user.firstName, link: app.link(to: .passwordResetToken, secret), otherLink: app.link(to: .login)))
            return secret
        }
        context.console.print("Created \(role.rawValue) account for \(email).")
        if let secret {
            context.console.print("An invitation with a one-time link to set the password (valid 24 hours) is queued for \(email).")
            if signature.link {
                context.console.print("The same link, to hand over another way:")
                context.console.print(app.link(to: .passwordResetToken, secret))
            }
        }
    }
}
