import Eligibility
import Fluent
import SQLKit
import Synchronization
import Vapor

/// `/staff` (P7, issue 9): applications waiting for staff, oldest submitted first, filtered by
/// status with counts, searchable by name or email, 50 a page. At most two SQL statements per
/// page whatever the number of rows (the counts, cached briefly, then the page), so it stays fast at 100,000
/// households; each row is marked when the household changed since this staff member's last
/// visit (P14).
struct StaffQueueController {
    enum Filter: String, CaseIterable {
        case submitted, needsInfo = "needs_info", renewal, outOfArea = "out_of_area", verified, denied

        /// The rows this filter shows, as an SQL condition on `a` (applications) and `ad`
        /// (the eligibility address).
        var condition: String {
            switch self {
            case .submitted: "a.status = 'submitted'"
            case .needsInfo: "a.status = 'needs_info'"
            case .renewal: "a.status = 'submitted' AND a.kind = 'renewal'"
            case .outOfArea: "a.status IN ('submitted', 'needs_info') AND ad.verified = \(false)"
            case .verified: "a.status = 'verified'"
            case .denied: "a.status = 'denied'"
            }
        }

        /// Waiting work oldest first; decided work newest first.
        var order: String {
            switch self {
            case .verified, .denied: "a.decided_at DESC, a.id"
            default: "a.submitted_at ASC, a.id"
            }
        }
    }

    static let pageSize = 50

    struct Row: Encodable {
        let reference: String
        let name: String
        let submittedOn: String
        let kindKey: String
        let pendingDocuments: Int
        let answered: Bool
        let changed: Bool
        let url: String
    }

    struct Tab: Encodable {
        let labelKey: String
        let count: Int
        let url: String
        let current: Bool
    }

    struct Page: Encodable {
        let layout: LayoutContext
        let tabs: [Tab]
        let filterLabelKey: String
        let query: String
        let status: String
        let rows: [Row]
        let hasRows: Bool
        let pageNumber: Int
        let previousURL: String?
        let nextURL: String?
        let isAdmin: Bool
        /// Admins also work every program's list.
        let programs: [StaffHomeController.ProgramLink]
    }

    func show(_ request: Request) async throws -> View {
        let user = try request.currentUser
        let filter = (try? request.query.get(String.self, at: "status")).flatMap(Filter.init(rawValue:)) ?? .submitted
        let search = ((try? request.query.get(String.self, at: "q")) ?? "").trimmingCharacters(in: .whitespaces).prefix(100)
        let pageNumber = max(1, min((try? request.query.get(Int.self, at: "page")) ?? 1, 10_000))
        let sql = request.db(.primary) as! any SQLDatabase
        let counts = try await request.application.staffCounts.queue.counts("queue", now: request.application.clock.now()) {
            try await Self.counts(sql)
        }
        let rows = try await Self.rows(sql, filter: filter, search: String(search), staffID: try user.requireID(), page: pageNumber)
        if !search.isEmpty { try await request.audit(.queueSearched, .init()) }

        let formatter = request.longDateFormatter
        func url(_ status: Filter, page: Int = 1) -> String {
            var components = URLComponents()
            components.path = SiteURL.staff.path()
            var items = [URLQueryItem(name: "status", value: status.rawValue)]
            if !search.isEmpty { items.append(URLQueryItem(name: "q", value: String(search))) }
            if page > 1 { items.append(URLQueryItem(name: "page", value: String(page))) }
            components.queryItems = items
            return components.string ?? SiteURL.staff.path()
        }
        let shown = rows.prefix(Self.pageSize).map { row in
            Row(
                reference: row.reference ?? "—", name: "\(row.firstName) \(row.lastName)",
                submittedOn: row.submittedAt.map(formatter.string(from:)) ?? "", kindKey: "staff.kind.\(row.kind)",
                pendingDocuments: row.pending, answered: row.answeredAt != nil && row.status == "submitted",
                changed: row.changedAt.map { changed in row.seenAt.map { changed > $0 } ?? true } ?? false,
                url: SiteURL.staffHousehold.path(row.householdID.uuidString.lowercased()))
        }
        let page = Page(
            layout: request.layout(titleKey: "staff.queue_title"),
            tabs: Filter.allCases.map {
                Tab(labelKey: "staff.filter.\($0.rawValue)", count: counts[$0] ?? 0, url: url($0), current: $0 == filter)
            },
            filterLabelKey: "staff.filter.\(filter.rawValue)", query: String(search), status: filter.rawValue,
            rows: Array(shown), hasRows: !shown.isEmpty, pageNumber: pageNumber,
            previousURL: pageNumber > 1 ? url(filter, page: pageNumber - 1) : nil,
            nextURL: rows.count > Self.pageSize ? url(filter, page: pageNumber + 1) : nil,
            isAdmin: user.role == .admin,
            programs: user.role == .admin
                ? try await ProgramAccess.programs(request).map {
                    StaffHomeController.ProgramLink(name: $0.name(request.language), url: SiteURL.staffProgram.path($0.slug))
                } : [])
        return try await request.view.render("staff/queue", page)
    }

    struct QueueRow: Decodable {
        let householdID: UUID
        let reference: String?
        let kind: String
        let status: String
        let submittedAt: Date?
        let answeredAt: Date?
        let changedAt: Date?
        let seenAt: Date?
        let firstName: String
        let lastName: String
        let pending: Int

        enum CodingKeys: String, CodingKey {
            case householdID = "household_id", reference, kind, status, submittedAt = "submitted_at", answeredAt = "answered_at"
            case changedAt = "changed_at", seenAt = "seen_at", firstName = "first_name", lastName = "last_name", pending
        }
    }

    /// How many applications each filter holds: one statement of index-only counts.
    static func counts(_ sql: any SQLDatabase) async throws -> [Filter: Int] {
        guard
            let row = try await sql.raw(
                """
                SELECT
                  (SELECT COUNT(*) FROM applications WHERE status = 'submitted') AS submitted,
                  (SELECT COUNT(*) FROM applications WHERE status = 'needs_info') AS needs_info,
                  (SELECT COUNT(*) FROM applications WHERE status = 'submitted' AND kind = 'renewal') AS renewal,
                  (SELECT COUNT(*) FROM addresses ad JOIN applications a ON a.eligibility_address_id = ad.id
                     WHERE ad.verified = \(unsafeRaw: "false") AND a.status IN ('submitted', 'needs_info')) AS out_of_area,
                  (SELECT COUNT(*) FROM applications WHERE status = 'verified') AS verified,
                  (SELECT COUNT(*) FROM applications WHERE status = 'denied') AS denied
                """
            ).first()
        else { return [:] }
        var counts: [Filter: Int] = [:]
        for filter in Filter.allCases { counts[filter] = (try? row.decode(column: filter.rawValue, as: Int.self)) ?? 0 }
        return counts
    }

    /// One page of rows (and one more, to know whether there is a next page): one statement.
    /// A search first finds the matching accounts through the prefix indexes (a materialised
    /// step, so the database does not walk the whole queue looking for them), then their rows.
    static func rows(_ sql: any SQLDatabase, filter: Filter, search: String, staffID: UUID, page: Int) async throws -> [QueueRow] {
        var query = SQLQueryString("")
        if !search.isEmpty {
            let cleaned = search.lowercased().filter { $0 != "\\" && $0 != "%" && $0 != "_" }
            let columns = ["LOWER(email)", "LOWER(first_name)", "LOWER(last_name)", "LOWER(first_name || ' ' || last_name)"]
            query.appendInterpolation(unsafeRaw: "WITH matches AS MATERIALIZED (SELECT id FROM users WHERE ")
            for (index, column) in columns.enumerated() {
                query.appendInterpolation(unsafeRaw: (index == 0 ? "" : " OR ") + column + " LIKE ")
                query.appendInterpolation(bind: cleaned + "%")
            }
            query.appendInterpolation(unsafeRaw: ") ")
        }
        query.appendInterpolation(
            unsafeRaw: """
                SELECT h.id AS household_id, a.reference, a.kind, a.status, a.submitted_at, a.answered_at, h.changed_at, v.seen_at,
                  u.first_name, u.last_name,
                  (SELECT COUNT(*) FROM documents d WHERE d.application_id = a.id AND d.review_state = 'pending') AS pending
                FROM \(search.isEmpty ? "" : "matches m JOIN users u ON u.id = m.id JOIN households h ON h.user_id = u.id JOIN applications a ON a.household_id = h.id")\
                \(search.isEmpty ? "applications a JOIN households h ON h.id = a.household_id JOIN users u ON u.id = h.user_id" : "")
                LEFT JOIN addresses ad ON ad.id = a.eligibility_address_id
                LEFT JOIN staff_visits v ON v.household_id = h.id AND v.staff_id = 
                """)
        query.appendInterpolation(bind: staffID)
        query.appendInterpolation(
            unsafeRaw: " WHERE \(filter.condition) ORDER BY \(filter.order) LIMIT \(pageSize + 1) OFFSET \((page - 1) * pageSize)")
        return try await sql.raw(query).all(decoding: QueueRow.self)
    }
}

/// Tab counts, kept for a few seconds: counting 100,000 rows on every page load costs more
/// than the page itself (the queue's tabs, each program list's tabs). A decision or submission
/// on this server clears them at once; another server's counts catch up within `lifetime`.
/// The rows under the tabs are always read live.
final class CountsCache<Key: Hashable & Sendable, Counts: Sendable>: Sendable {
    static var lifetime: TimeInterval { 10 }
    private let state = Mutex<[Key: (at: Date, counts: Counts)]>([:])

    func counts(_ key: Key, now: Date, load: () async throws -> Counts) async throws -> Counts {
        if let cached = state.withLock({ $0[key] }), now.timeIntervalSince(cached.at) < Self.lifetime, now >= cached.at {
            return cached.counts
        }
        let fresh = try await load()
        state.withLock { $0[key] = (now, fresh) }
        return fresh
    }

    func invalidate() { state.withLock { $0 = [:] } }
}

/// The verification queue's counts (one entry) and each program list's (by program id).
final class StaffCounts: Sendable {
    let queue = CountsCache<String, [StaffQueueController.Filter: Int]>()
    let programs = CountsCache<UUID, [EnrollmentStatus: Int]>()

    /// After anything that moves an application or an enrollment.
    func invalidate() {
        queue.invalidate()
        programs.invalidate()
    }
}

private enum StaffCountsKey: StorageKey { typealias Value = StaffCounts }

extension Application {
    var staffCounts: StaffCounts {
        if let cache = storage[StaffCountsKey.self] { return cache }
        let cache = StaffCounts()
        storage[StaffCountsKey.self] = cache
        return cache
    }
}
