import Fluent
import Foundation
import SQLKit
import Vapor

/// Creating and changing staff accounts, in one place (P1, issue 11): `getyour create-staff` and
/// the admin pages both call it. Rules: a coordinator covers at least one program; nobody
/// changes their own role or deactivates themselves; the last active admin stays an admin.
enum StaffAccounts {
    enum Problem: String, Error, Equatable {
        case emailInvalid = "email_invalid"
        case emailTaken = "email_taken"
        case roleInvalid = "role_invalid"
        case programsNeeded = "programs_needed"
        case programUnknown = "program_unknown"
        case ownAccount = "own_account"
        case lastAdmin = "last_admin"
    }

    /// Creates the account with no usable password and queues the invitation with a one-time
    /// link to choose one (24 hours). Returns the account and the link's secret.
    static func invite(
        email rawEmail: String, role: User.Role, programs: [String], firstName: String, lastName: String, app: Application,
        on db: any Database
    ) async throws -> (User, String) {
        let email = User.normalise(email: rawEmail)
        guard ContactRules.isEmail(email) else { throw Problem.emailInvalid }
        guard role.isStaff else { throw Problem.roleInvalid }
        try await checkPrograms(role: role, programs: programs, on: db)
        guard try await User.find(email: email, on: db) == nil else { throw Problem.emailTaken }
        let now = app.clock.now()
        // No bcrypt hash starts with "!": nobody can sign in until the link is used.
        let user = User(
            email: email, passwordHash: "!unusable", firstName: firstName, lastName: lastName, phone: "", language: .en, role: role)
        // An admin or operator vouches for a staff address; the link goes to it anyway.
        user.emailConfirmedAt = now
        let secret: String = try await db.writeTransaction { db in
            try await user.create(on: db)
            for slug in Set(programs) { try await StaffProgramScope(userID: try user.requireID(), programSlug: slug).create(on: db) }
            let secret = try await AccountToken.issue(.setPassword, for: try user.requireID(), now: now, on: db)
            try await app.outbox(on: db).enqueue(
                .staffInvitation, to: user,
                data: MessageData(name: user.firstName, link: app.link(to: .passwordResetToken, secret), otherLink: app.link(to: .login)))
            return secret
        }
        return (user, secret)
    }

    /// Changes a colleague's role, programs and whether the account is active, in one
    /// transaction with its audit event; a deactivated person is signed out everywhere.
    static func change(
        _ id: UUID, role: User.Role, programs: [String], active: Bool, by request: Request
    ) async throws {
        let me = try request.currentUser
        let db = request.db(.primary)
        guard role.isStaff else { throw Problem.roleInvalid }
        try await checkPrograms(role: role, programs: programs, on: db)
        try await db.writeTransaction { db in
            guard let user = try await User.find(id, on: db), user.role.isStaff else { throw Abort(.notFound) }
            if id == me.id, role != user.role || !active { throw Problem.ownAccount }
            if user.role == .admin, !user.archived, role != .admin || !active {
                // Locked on PostgreSQL, so two admins demoting each other at once cannot both succeed.
                let sql = db as! any SQLDatabase
                let lock: SQLQueryString = sql.dialect.name == "sqlite" ? "" : "FOR UPDATE"
                let admins = try await sql.raw("SELECT id FROM users WHERE role = 'admin' AND archived = \(bind: false) \(lock)").all()
                if admins.count <= 1 { throw Problem.lastAdmin }
            }
            user.role = role
            user.archived = !active
            try await user.update(on: db)
            try await StaffProgramScope.query(on: db).filter(\.$user.$id == id).delete()
            if role == .coordinator {
                for slug in Set(programs) { try await StaffProgramScope(userID: id, programSlug: slug).create(on: db) }
            }
            if !active { try await StoredSession.deleteAll(for: id, on: db) }
            try await request.audit(active ? .staffChanged : .staffDeactivated, .init(user: id), on: db)
        }
    }

    private static func checkPrograms(role: User.Role, programs: [String], on db: any Database) async throws {
        guard role == .coordinator else { return }
        guard !programs.isEmpty else { throw Problem.programsNeeded }
        let known = Set(try await BenefitProgram.query(on: db).all().map(\.slug))
        guard programs.allSatisfy(known.contains) else { throw Problem.programUnknown }
    }
}
