import Fluent
import Foundation
import SQLKit
import Vapor

/// The retention policy for uploaded documents (P10, issue 14): `retention.document_months`
/// after an application was denied or withdrawn, or after a verified renewal replaced it, its
/// documents are removed from the store. Each row stays, without the file name (which may
/// name the person), as a record of what was checked: purpose, type, size, checksum, review
/// outcome, and the day it was purged. Run by `getyour jobs`; `getyour purge-documents
/// --dry-run` counts without changing anything.
///
/// Each file is deleted from the store before its row is marked, so a failure half-way is
/// simply done again next round (deleting a missing file is not an error).
enum DocumentRetention {
    struct Summary: Sendable, Equatable, CustomStringConvertible {
        var documents = 0
        var applications = 0
        var bytes = 0

        var description: String {
            "\(documents) documents of \(applications) applications (\(ByteCountFormatter.string(fromByteCount: Int64(bytes), countStyle: .file)))"
        }
    }

    /// The day before which a decision is old enough: `months` calendar months ago, city time.
    static func cutoff(now: Date, months: Int) -> Date {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = Request.cityTimeZone
        return calendar.date(byAdding: .month, value: -months, to: now) ?? now
    }

    /// The documents due for purging now, with their applications.
    static func due(now: Date, months: Int, on db: any Database) async throws -> [Document] {
        let before = cutoff(now: now, months: months)
        let sql = db as! any SQLDatabase
        // Applications that ended (denied, withdrawn) before the cutoff, and applications a
        // verified renewal replaced before it: two index look-ups (status; renews_id), not a
        // scan of every application.
        let rows = try await sql.raw(
            """
            SELECT a.id AS id FROM applications a
            WHERE a.status IN ('denied', 'withdrawn') AND COALESCE(a.decided_at, a.submitted_at, a.started_at) < \(bind: before)
            UNION
            SELECT r.renews_id AS id FROM applications r
            WHERE r.renews_id IS NOT NULL AND r.status = 'verified' AND r.verified_at < \(bind: before)
            """
        ).all()
        let ids = try rows.map { try $0.decode(column: "id", as: UUID.self) }
        guard !ids.isEmpty else { return [] }
        return try await Document.query(on: db).filter(\.$application.$id ~~ ids).filter(\.$purgedAt == nil).all()
    }

    @discardableResult
    static func run(_ app: Application, dryRun: Bool = false) async throws -> Summary {
        let db = app.db(.primary), now = app.clock.now()
        let documents = try await due(now: now, months: app.settings.documentRetentionMonths, on: db)
        var summary = Summary(
            documents: documents.count, applications: Set(documents.map { $0.$application.id }).count,
            bytes: documents.reduce(0) { $0 + $1.byteSize })
        guard !dryRun, !documents.isEmpty else { return summary }
        summary = Summary()
        var purgedByApplication: [UUID: Int] = [:]
        for document in documents {
            do {
                try await app.documentStore.delete(key: document.storageKey)
            } catch {
                app.logger.error("retention: a stored file could not be deleted", metadata: ["storage_key": .string(document.storageKey)])
                continue
            }
            document.purgedAt = now
            document.originalName = ""
            try await document.update(on: db)
            summary.documents += 1
            summary.bytes += document.byteSize
            purgedByApplication[document.$application.id, default: 0] += 1
        }
        let applications = try await ApplicationRecord.query(on: db).filter(\.$id ~~ Array(purgedByApplication.keys)).all()
        try await db.writeTransaction { db in
            for application in applications {
                try await AuditEvent(
                    actorID: "system", actorRole: "system", action: .documentsPurged,
                    subject: .init(household: application.$household.id, application: application.id), requestID: "jobs-retention",
                    at: now
                ).create(on: db)
            }
        }
        summary.applications = applications.count
        return summary
    }
}

/// `getyour purge-documents [--dry-run]`: the retention step of `getyour jobs`, alone; with
/// `--dry-run` it only counts what is due.
struct PurgeDocumentsCommand: AsyncCommand {
    struct Signature: CommandSignature {
        @Flag(name: "dry-run", help: "Only count the documents due for purging; change nothing") var dryRun: Bool
    }

    var help: String {
        "Removes from the store the documents the retention policy (retention.document_months) no longer allows to keep; --dry-run only counts them."
    }

    func run(using context: CommandContext, signature: Signature) async throws {
        let summary = try await DocumentRetention.run(context.application, dryRun: signature.dryRun)
        let months = context.application.settings.documentRetentionMonths
        context.console.print(
            signature.dryRun
                ? "Due for purging (older than \(months) months): \(summary). Nothing was changed (--dry-run)."
                : "Purged \(summary) older than \(months) months.")
    }
}
