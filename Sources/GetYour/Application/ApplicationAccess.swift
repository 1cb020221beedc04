import Eligibility
import Fluent
import SQLKit
import Vapor

/// The one gate every `/apply/*` step goes through (issue 9): it asks the lifecycle what the
/// resident may change now. A draft (or no application yet) opens every step. While staff
/// wait for more information only the upload, remove and respond routes open, for that
/// application. Otherwise nothing may change: a GET goes to the read-only confirmation, a
/// POST changes nothing and creates nothing.
struct ApplicationAccess: AsyncMiddleware {
    /// Routes that also serve an application in `needs_info` (uploads for requested items,
    /// removing those uploads, sending the response).
    let duringRequestForInformation: Bool

    static let steps = ApplicationAccess(duringRequestForInformation: false)
    static let responding = ApplicationAccess(duringRequestForInformation: true)

    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        let statuses = try await request.flow.statuses()
        if statuses.isEmpty || statuses.contains(.draft) { return try await next.respond(to: request) }
        let editing = statuses.map(ApplicationLifecycle.residentEditing)
        if duringRequestForInformation, editing.contains(.requestedDocumentsAndResponse) { return try await next.respond(to: request) }
        if statuses.contains(.needsInfo) { return request.redirect(to: SiteURL.respond.path(), redirectType: .normal) }
        return request.redirect(to: SiteURL.submitted.path(), redirectType: .normal)
    }
}

extension ApplicationFlow {
    /// The statuses of the household's applications, oldest first (one query, kept for the
    /// rest of the request).
    func statuses() async throws -> [ApplicationStatus] {
        if let cached = request.storage[StatusesKey.self] { return cached }
        let household = try await household()
        // Through SQLKit: one column, without decoding whole application models.
        let statuses = try await (db as! any SQLDatabase).raw(
            "SELECT status FROM applications WHERE household_id = \(bind: try household.requireID()) ORDER BY started_at"
        ).all().compactMap { ApplicationStatus(rawValue: try $0.decode(column: "status", as: String.self)) }
        request.storage[StatusesKey.self] = statuses
        return statuses
    }

    /// The application waiting for the resident's answer to a request for information.
    func awaitingResponse() async throws -> ApplicationRecord? {
        let household = try await household()
        return try await ApplicationRecord.query(on: db)
            .filter(\.$household.$id == household.requireID()).filter(\.$status == .needsInfo).first()
    }

    /// The application the resident may upload to now: the draft, or the one staff asked
    /// more of (then only for the requested items).
    func uploadTarget() async throws -> ApplicationRecord? {
        if let draft = try await draft() { return draft }
        return try await awaitingResponse()
    }

    /// Records that the resident changed an application staff are looking at: its revision
    /// goes up (a decision on an older page is refused) and the queue marks the household.
    static func markChangedForStaff(_ application: ApplicationRecord, now: Date, on db: any Database) async throws {
        guard application.status != .draft else { return }
        try await (db as! any SQLDatabase).raw(
            "UPDATE applications SET revision = revision + 1 WHERE id = \(bind: try application.requireID())"
        )
        .run()
        try await Household.query(on: db).filter(\.$id == application.$household.id).set(\.$changedAt, to: now).update()
    }
}

private enum StatusesKey: StorageKey { typealias Value = [ApplicationStatus] }
