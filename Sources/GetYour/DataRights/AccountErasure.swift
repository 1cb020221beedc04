import Fluent
import Foundation
import SQLKit
import Vapor

/// Deletes a resident's account and everything personal the service holds about them
/// (P10, issue 14): `/settings/delete` and `getyour erase-user` both call `erase`.
///
/// In one transaction: the person's outbox messages, sessions and one-time links, then the
/// account, which takes with it the household, every application with its members, answers,
/// program choices, messages, document rows, enrollments, renewal reminders, staff notes and
/// visits; then the addresses no other household uses. What stays for the city's records
/// holds no personal data: the audit trail (ids and action codes, plus an `account.erased`
/// event), the analytics events (under a pseudonym) and anonymous feedback. After the commit
/// the files are removed from the document store; a file that cannot be removed then is
/// named in the log by its random key (never the person) and counted in the summary.
enum AccountErasure {
    enum Refusal: Error, Equatable {
        /// Staff accounts are deactivated, not erased: the audit trail names them as actors.
        case staffAccount
    }

    /// What was removed: counts only, safe to print and log.
    struct Summary: Sendable, Equatable, CustomStringConvertible {
        var applications = 0
        var members = 0
        var documents = 0
        var filesRemoved = 0
        var filesLeft = 0
        var messages = 0
        var enrollments = 0
        var addresses = 0
        var notifications = 0
        var sessions = 0

        var description: String {
            "Removed 1 account with \(applications) applications, \(members) household members, \(documents) documents "
                + "(\(filesRemoved) files deleted from the store\(filesLeft > 0 ? ", \(filesLeft) could not be deleted: see the log" : "")), "
                + "\(messages) messages with staff, \(enrollments) enrollments, \(addresses) addresses no other household uses, "
                + "\(notifications) queued or sent notifications and \(sessions) sessions. Kept: audit events and analytics without personal data."
        }
    }

    /// Erases `user`; `audit` writes the `account.erased` event in the same transaction.
    static func erase(
        _ user: User, app: Application,
        audit: @escaping @Sendable (any Database) async throws -> Void
    ) async throws -> Summary {
        guard user.role == .resident else { throw Refusal.staffAccount }
        let userID = try user.requireID()
        var summary = Summary()
        let keys = try await app.db(.primary).writeTransaction { db -> (Summary, [String]) in
            var summary = Summary()
            let sql = db as! any SQLDatabase
            let households = try await Household.query(on: db).filter(\.$user.$id == userID).all()
            let householdIDs = try households.map { try $0.requireID() }
            let applications = try await ApplicationRecord.query(on: db).filter(\.$household.$id ~~ householdIDs).all()
            let applicationIDs = try applications.map { try $0.requireID() }
            let addressIDs = Set(applications.flatMap { [$0.$eligibilityAddress.id, $0.$mailingAddress.id] }.compactMap { $0 })
            let documents = try await Document.query(on: db).filter(\.$application.$id ~~ applicationIDs).all()
            summary.applications = applications.count
            summary.documents = documents.count
            summary.members = try await HouseholdMember.query(on: db).filter(\.$application.$id ~~ applicationIDs).count()
            summary.messages = try await ApplicationMessage.query(on: db).filter(\.$application.$id ~~ applicationIDs).count()
            summary.enrollments = try await Enrollment.query(on: db).filter(\.$household.$id ~~ householdIDs).count()

            // Rows that name the person but hang off no foreign key.
            func outbox() -> QueryBuilder<OutboxMessage> {
                OutboxMessage.query(on: db).group(.or) {
                    $0.filter(\.$userID == userID)
                    if !householdIDs.isEmpty { $0.filter(\.$householdID ~~ householdIDs) }
                }
            }
            summary.notifications = try await outbox().count()
            try await outbox().delete()
            summary.sessions = try await StoredSession.query(on: db).filter(\.$userID == userID).count()
            try await StoredSession.query(on: db).filter(\.$userID == userID).delete()
            // Renewals point at the application they renew: clear those links first, then
            // the documents (the rows cascade from their applications, but say it plainly).
            if !applicationIDs.isEmpty {
                try await sql.raw("UPDATE applications SET renews_id = NULL WHERE renews_id IN (\(binds: applicationIDs))").run()
                try await sql.raw("UPDATE households SET current_application_id = NULL WHERE id IN (\(binds: householdIDs))").run()
                try await sql.raw("UPDATE household_members SET carried_from_id = NULL WHERE application_id IN (\(binds: applicationIDs))")
                    .run()
            }
            try await Document.query(on: db).filter(\.$application.$id ~~ applicationIDs).delete()
            // The account; households, applications and everything under them cascade.
            try await User.query(on: db).filter(\.$id == userID).delete()
            // Addresses are shared between households at the same place: only orphans go.
            for addressID in addressIDs {
                let stillUsed = try await ApplicationRecord.query(on: db).group(.or) {
                    $0.filter(\.$eligibilityAddress.$id == addressID).filter(\.$mailingAddress.$id == addressID)
                }.count()
                if stillUsed == 0 {
                    try await Address.query(on: db).filter(\.$id == addressID).delete()
                    summary.addresses += 1
                }
            }
            try await audit(db)
            return (summary, documents.map(\.storageKey))
        }
        summary = keys.0
        for key in keys.1 {
            do {
                try await app.documentStore.delete(key: key)
                summary.filesRemoved += 1
            } catch {
                summary.filesLeft += 1
                app.logger.error("erasure: a stored file could not be deleted", metadata: ["storage_key": .string(key)])
            }
        }
        return summary
    }
}
