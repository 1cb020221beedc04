import Eligibility
import Fluent
import SQLKit
import Vapor

/// `/staff/renewals` (P11, admins): households whose first enrollment expiry falls within the
/// next `days` days (default the renewal window), soonest first, 50 a page, with whether a
/// renewal is under way; each links to the household page, where staff may start one.
struct RenewalsDueController {
    static let pageSize = 50

    struct Row: Encodable {
        let name: String
        let expires: String
        let statusKey: String
        let url: String
    }

    struct Page: Encodable {
        let layout: LayoutContext
        let summary: ErrorSummary
        let days: FormField
        let rows: [Row]
        let hasRows: Bool
        let pageNumber: Int
        let previousURL: String?
        let nextURL: String?
    }

    private struct Due: Decodable {
        let household_id: UUID
        let first_expiry: Date
        let first_name: String
        let last_name: String
    }

    private struct Open: Decodable {
        let household_id: UUID
        let status: String
    }

    func show(_ request: Request) async throws -> Response {
        let fallback = request.application.settings.renewal.opensDaysBefore
        let typed = (try? request.query.get(String.self, at: "days")) ?? String(fallback)
        var errors = FormErrors()
        let days = Int(typed.trimmingCharacters(in: .whitespaces)).flatMap { (1...365).contains($0) ? $0 : nil }
        if days == nil { errors.add("days", "renewals_due.error.days") }
        let window = days ?? fallback
        let pageNumber = max(1, min((try? request.query.get(Int.self, at: "page")) ?? 1, 10_000))
        let now = request.application.clock.now()
        let sql = request.db(.primary) as! any SQLDatabase
        let due = try await sql.raw(
            """
            SELECT e.household_id, MIN(e.expires_at) AS first_expiry, u.first_name, u.last_name
            FROM enrollments e JOIN households h ON h.id = e.household_id JOIN users u ON u.id = h.user_id
            WHERE e.status = 'enrolled' AND e.expires_at IS NOT NULL
            GROUP BY e.household_id, u.first_name, u.last_name
            HAVING MIN(e.expires_at) >= \(bind: now) AND MIN(e.expires_at) <= \(bind: now.addingTimeInterval(Double(window) * 86_400))
            ORDER BY first_expiry, e.household_id
            LIMIT \(unsafeRaw: String(Self.pageSize + 1)) OFFSET \(unsafeRaw: String((pageNumber - 1) * Self.pageSize))
            """
        ).all(decoding: Due.self)
        let ids = due.prefix(Self.pageSize).map(\.household_id)
        var open: [UUID: String] = [:]
        if !ids.isEmpty {
            var query = SQLQueryString(
                "SELECT household_id, status FROM applications WHERE kind = 'renewal' AND status IN ('draft', 'submitted', 'needs_info') AND household_id IN ("
            )
            for (index, id) in ids.enumerated() {
                if index > 0 { query.appendInterpolation(unsafeRaw: ", ") }
                query.appendInterpolation(bind: id)
            }
            query.appendInterpolation(unsafeRaw: ")")
            for row in try await sql.raw(query).all(decoding: Open.self) { open[row.household_id] = row.status }
        }
        let formatter = request.longDateFormatter
        let base = SiteURL.staffRenewals.path() + "?days=\(window)&page="
        let page = Page(
            layout: request.layout(titleKey: "renewals_due.title", hasErrors: !errors.isEmpty), summary: ErrorSummary(request, errors),
            days: .input(
                "days", label: "renewals_due.days", hint: "renewals_due.days_hint", inputmode: "numeric", value: typed,
                errors: errors.resolved(request)),
            rows: due.prefix(Self.pageSize).map {
                Row(
                    name: "\($0.first_name) \($0.last_name)", expires: formatter.string(from: $0.first_expiry),
                    statusKey: "renewals_due.status.\(open[$0.household_id] ?? "none")",
                    url: SiteURL.staffHousehold.path($0.household_id.uuidString.lowercased()))
            },
            hasRows: !due.isEmpty, pageNumber: pageNumber, previousURL: pageNumber > 1 ? base + "\(pageNumber - 1)" : nil,
            nextURL: due.count > Self.pageSize ? base + "\(pageNumber + 1)" : nil)
        return try await request.view.render("staff/renewals-due", page).response(errors.isEmpty ? .ok : .unprocessableEntity, for: request)
    }
}
