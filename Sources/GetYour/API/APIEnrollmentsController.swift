import Eligibility
import Fluent
import Foundation
import SQLKit
import Vapor

/// `GET /api/v1/programs/{slug}/enrollments?status=&changed_since=&cursor=&limit=` (P14): the
/// verified households that applied to a program, with what the department needs to reach
/// them, and `changed: true` when anything in the record changed since this caller (`sub`)
/// last read it: the enrollment decided, an application of the household verified or denied,
/// the resident submitted, answered staff or uploaded, the named contact changed. Reading a row marks it read for this caller.
///
/// Pages follow the enrollment id (`cursor`): rows that existed when the reading began come
/// exactly once, whatever is added meanwhile. With `changed_since` a page may hold fewer than
/// `limit` rows; follow `next_cursor` until it is null.
struct APIEnrollmentsController {
    struct Address: Content {
        let street: String
        let unit: String
        let city: String
        let state: String
        let zip: String
    }

    struct Resident: Content {
        let first_name: String
        let last_name: String
        let email: String
        let phone: String?
        let language: String
        let mailing_address: Address?
    }

    /// One enrollment. `application_reference` and `verified_at` are for admin tokens only: a
    /// department gets what it needs to reach and enroll the household.
    struct Row: Content {
        let id: UUID
        let household_id: UUID
        let status: String
        let applied_at: Date
        let decided_at: Date?
        let enrolled_at: Date?
        let expires_at: Date?
        let changed_at: Date
        let changed: Bool
        let resident: Resident
        let application_reference: String?
        let verified_at: Date?
    }

    struct Page: Content {
        let program: String
        let enrollments: [Row]
        let next_cursor: String?
    }

    private struct Listed: Decodable {
        let household_id: UUID
        let enrollment_id: UUID
        let status: String
        let applied_at: Date
        let decided_at: Date?
        let enrolled_at: Date?
        let expires_at: Date?
        let first_name: String
        let last_name: String
        let email: String
        let phone: String
        let language: String
        let reference: String?
        let verified_at: Date?
        let household_changed_at: Date?
        let contact_updated_at: Date?
        let application_decided_at: Date?
        let street: String?
        let unit: String?
        let city: String?
        let state: String?
        let zip: String?
    }

    static let defaultLimit = 100
    static let maxLimit = 500

    func list(_ request: Request) async throws -> Page {
        let caller = try request.requireAPICaller()
        guard let slug = request.parameters.get("slug") else { throw APIError.notFound() }
        let db = request.db(.primary)
        guard let program = try await BenefitProgram.query(on: db).filter(\.$slug == slug).first() else {
            throw APIError.notFound("No program has that slug.")
        }
        guard caller.may(program: slug) else { throw APIError.forbidden("This token's roles do not include program:\(slug).") }
        let statuses: [EnrollmentStatus]
        if let text = try? request.query.get(String.self, at: "status"), !text.isEmpty {
            guard let status = EnrollmentStatus(rawValue: text) else {
                throw APIError.invalid("status must be one of: \(EnrollmentStatus.allCases.map(\.rawValue).joined(separator: ", ")).")
            }
            statuses = [status]
        } else {
            statuses = EnrollmentStatus.allCases
        }
        var changedSince: Date?
        if let text = try? request.query.get(String.self, at: "changed_since"), !text.isEmpty {
            guard let date = ISO8601DateFormatter().date(from: text) else {
                throw APIError.invalid("changed_since must be a date and time like 2026-12-01T00:00:00Z.")
            }
            changedSince = date
        }
        var after: UUID?
        if let text = try? request.query.get(String.self, at: "cursor"), !text.isEmpty {
            guard let id = UUID(uuidString: text) else { throw APIError.invalid("cursor must be a next_cursor this endpoint gave.") }
            after = id
        }
        var limit = Self.defaultLimit
        if let text = try? request.query.get(String.self, at: "limit") {
            guard let number = Int(text), (1...Self.maxLimit).contains(number) else {
                throw APIError.invalid("limit must be a whole number from 1 to \(Self.maxLimit).")
            }
            limit = number
        }

        let sql = db as! any SQLDatabase
        var query = SQLQueryString(
            """
            SELECT e.household_id, e.id AS enrollment_id, e.status, e.applied_at, e.decided_at, e.enrolled_at, e.expires_at,
                   u.first_name, u.last_name, u.email, u.phone, u.language, a.reference, a.verified_at,
                   h.changed_at AS household_changed_at, hc.updated_at AS contact_updated_at,
                   (SELECT MAX(x.decided_at) FROM applications x WHERE x.household_id = e.household_id) AS application_decided_at,
                   ad.street, ad.unit, ad.city, ad.state, ad.zip
            """)
        ProgramListController.appendFrom(
            to: &query, programID: try program.requireID(), statuses: statuses, after: after, order: "e.id", limit: limit,
            joinMailingAddress: true)
        query.appendInterpolation(unsafeRaw: " LEFT JOIN household_contacts hc ON hc.household_id = e.household_id ORDER BY e.id")
        let listed = try await sql.raw(query).all(decoding: Listed.self)

        let subject = caller.subject
        let ids = listed.map(\.enrollment_id)
        var lastRead: [UUID: Date] = [:]
        if !ids.isEmpty {
            let marks = try await APIRead.query(on: db).filter(\.$subject == subject).filter(\.$enrollmentID ~~ ids).all()
            for mark in marks { lastRead[mark.enrollmentID] = mark.readAt }
        }
        var rows: [Row] = []
        for item in listed {
            let changedAt =
                [
                    item.applied_at, item.decided_at, item.enrolled_at, item.verified_at, item.household_changed_at,
                    item.contact_updated_at,
                    item.application_decided_at,
                ]
                .compactMap { $0 }.max() ?? item.applied_at
            if let changedSince, changedAt <= changedSince { continue }
            let changed = lastRead[item.enrollment_id].map { changedAt > $0 } ?? true
            rows.append(
                Row(
                    id: item.enrollment_id, household_id: item.household_id, status: item.status, applied_at: item.applied_at,
                    decided_at: item.decided_at, enrolled_at: item.enrolled_at, expires_at: item.expires_at, changed_at: changedAt,
                    changed: changed,
                    resident: Resident(
                        first_name: item.first_name, last_name: item.last_name, email: item.email,
                        phone: item.phone.isEmpty ? nil : item.phone, language: item.language,
                        mailing_address: item.street.map {
                            Address(street: $0, unit: item.unit ?? "", city: item.city ?? "", state: item.state ?? "", zip: item.zip ?? "")
                        }),
                    application_reference: caller.isAdmin ? item.reference : nil, verified_at: caller.isAdmin ? item.verified_at : nil))
        }
        let now = request.application.clock.now(), read = rows
        try await db.writeTransaction { db in
            // The page's read marks in one statement (up to 500 rows).
            if !read.isEmpty {
                var insert = SQLQueryString("INSERT INTO api_reads (subject, enrollment_id, read_at) VALUES ")
                for (index, row) in read.enumerated() {
                    insert.appendInterpolation(unsafeRaw: index == 0 ? "(" : ", (")
                    insert.appendInterpolation(bind: subject)
                    insert.appendInterpolation(unsafeRaw: ", ")
                    insert.appendInterpolation(bind: row.id)
                    insert.appendInterpolation(unsafeRaw: ", ")
                    insert.appendInterpolation(bind: now)
                    insert.appendInterpolation(unsafeRaw: ")")
                }
                insert.appendInterpolation(unsafeRaw: " ON CONFLICT (subject, enrollment_id) DO UPDATE SET read_at = excluded.read_at")
                try await (db as! any SQLDatabase).raw(insert).run()
            }
            try await request.auditAPI(.programListViewed, .init(program: slug), on: db)
        }
        return Page(program: slug, enrollments: rows, next_cursor: listed.count == limit ? listed.last?.enrollment_id.uuidString : nil)
    }
}

/// When a partner (`subject`, the token's `sub`) last read an enrollment through the API: what
/// `changed` is measured against.
final class APIRead: Model, @unchecked Sendable {
    static let schema = "api_reads"

    @ID(custom: "id", generatedBy: .database) var id: Int?
    @Field(key: "subject") var subject: String
    @Field(key: "enrollment_id") var enrollmentID: UUID
    @Field(key: "read_at") var readAt: Date

    init() {}
}

/// P033: the partner API's read marks, one per caller and enrollment, gone with the enrollment.
struct CreateAPIReads: AsyncMigration {
    var name: String { "P033_CreateAPIReads" }

    func prepare(on database: any Database) async throws {
        try await database.schema("api_reads")
            .field("id", .int64, .identifier(auto: true))
            .field("subject", .string, .required)
            .field("enrollment_id", .uuid, .required, .references("enrollments", "id", onDelete: .cascade))
            .field("read_at", .datetime, .required)
            .unique(on: "subject", "enrollment_id")
            .create()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("api_reads").delete()
    }
}
