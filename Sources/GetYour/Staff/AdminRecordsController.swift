import Fluent
import Vapor

/// Two admin pages that read what the platform records (P7, P13 continued):
/// `/staff/feedback`, residents' anonymous ratings and comments, and `/staff/audit`, the audit
/// log. Neither shows anything personal the tables do not hold: feedback is linked to nobody,
/// and audit rows hold ids and action codes only.
struct AdminRecordsController {
    static let pageSize = 50

    struct FeedbackRow: Encodable {
        let when: String
        let rating: String
        let comment: String?
    }

    struct FeedbackPage: Encodable {
        let layout: LayoutContext
        let ratings: [FormField.Option]
        let rows: [FeedbackRow]
        let hasRows: Bool
        let pageNumber: Int
        let previousURL: String?
        let nextURL: String?
    }

    func feedback(_ request: Request) async throws -> View {
        let rating = (try? request.query.get(Int.self, at: "rating")).flatMap { (1...5).contains($0) ? $0 : nil }
        let pageNumber = max(1, min((try? request.query.get(Int.self, at: "page")) ?? 1, 10_000))
        var query = Feedback.query(on: request.db(.primary)).sort(\.$createdAt, .descending)
        if let rating { query = query.filter(\.$rating == rating) }
        let found = try await query.range(((pageNumber - 1) * Self.pageSize)..<(pageNumber * Self.pageSize + 1)).all()
        let formatter = request.dateTimeFormatter
        let rows = found.prefix(Self.pageSize).map {
            FeedbackRow(
                when: $0.createdAt.map(formatter.string(from:)) ?? "", rating: $0.rating.map { "\($0) / 5" } ?? "—", comment: $0.comment)
        }
        let base = SiteURL.staffFeedback.path() + "?" + (rating.map { "rating=\($0)&" } ?? "")
        return try await request.view.render(
            "staff/feedback",
            FeedbackPage(
                layout: request.layout(titleKey: "feedback_inbox.title"),
                ratings: [FormField.Option(value: "", labelKey: "feedback_inbox.all", checked: rating == nil)]
                    + (1...5).reversed().map { (stars: Int) in
                        FormField.Option(value: "\(stars)", label: "\(stars) / 5", checked: rating == stars)
                    },
                rows: Array(rows), hasRows: !rows.isEmpty, pageNumber: pageNumber,
                previousURL: pageNumber > 1 ? base + "page=\(pageNumber - 1)" : nil,
                nextURL: found.count > Self.pageSize ? base + "page=\(pageNumber + 1)" : nil))
    }

    struct AuditRow: Encodable {
        let when: String
        let actor: String
        let actorURL: String
        let action: String
        let householdURL: String?
        let application: String?
        let document: String?
        let program: String?
    }

    struct AuditPage: Encodable {
        let layout: LayoutContext
        let summary: ErrorSummary
        let filters: [FormField]
        let actions: [FormField.Option]
        let rows: [AuditRow]
        let hasRows: Bool
        let pageNumber: Int
        let previousURL: String?
        let nextURL: String?
    }

    struct AuditFilter: Content {
        var actor: String?
        var action: String?
        var household: String?
        var from: String?
        var to: String?
    }

    /// `/staff/audit`: newest first, 50 a page, filtered by who, what, which household and
    /// which days (in the city). Filters that cannot be read are explained on the page (422).
    func audit(_ request: Request) async throws -> Response {
        let filter = try request.query.decode(AuditFilter.self)
        let pageNumber = max(1, min((try? request.query.get(Int.self, at: "page")) ?? 1, 10_000))
        var errors = FormErrors()
        func trimmed(_ value: String?) -> String { (value ?? "").trimmingCharacters(in: .whitespaces) }
        let actor = trimmed(filter.actor).lowercased(), action = trimmed(filter.action)
        let household = trimmed(filter.household)
        let householdID = UUID(uuidString: household)
        if !household.isEmpty, householdID == nil { errors.add("household", "audit_log.error.household") }
        if !action.isEmpty, AuditEvent.Action(rawValue: action) == nil { errors.add("action", "audit_log.error.action") }
        let from = Self.day(trimmed(filter.from)), to = Self.day(trimmed(filter.to))
        if !trimmed(filter.from).isEmpty, from == nil { errors.add("from", "audit_log.error.date") }
        if !trimmed(filter.to).isEmpty, to == nil { errors.add("to", "audit_log.error.date") }
        if let from, let to, from > to { errors.add("to", "audit_log.error.order") }

        var rows: [AuditRow] = []
        var more = false
        if errors.isEmpty {
            var query = AuditEvent.query(on: request.db(.primary)).sort(\.$id, .descending)
            if !actor.isEmpty { query = query.filter(\.$actorID == actor) }
            if !action.isEmpty { query = query.filter(\.$action == action) }
            if let householdID { query = query.filter(\.$householdID == householdID) }
            if let from { query = query.filter(\.$occurredAt >= from) }
            if let to { query = query.filter(\.$occurredAt < to.addingTimeInterval(24 * 3600)) }
            let found = try await query.range(((pageNumber - 1) * Self.pageSize)..<(pageNumber * Self.pageSize + 1)).all()
            more = found.count > Self.pageSize
            let formatter = request.dateTimeFormatter, messages = request.application.messages, language = request.language
            rows = found.prefix(Self.pageSize).map { event in
                AuditRow(
                    when: formatter.string(from: event.occurredAt), actor: event.actorRole + " " + String(event.actorID.prefix(8)),
                    actorURL: SiteURL.staffAudit.path() + "?actor="
                        + (event.actorID.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""),
                    action: messages.has("audit.\(event.action)") ? messages.text("audit.\(event.action)", language) : event.action,
                    householdURL: event.householdID.map { SiteURL.staffHousehold.path($0.uuidString.lowercased()) },
                    application: event.applicationID.map { String($0.uuidString.prefix(8)).lowercased() },
                    document: event.documentID.map { String($0.uuidString.prefix(8)).lowercased() }, program: event.programSlug)
            }
        }
        let m = errors.resolved(request)
        var components = URLComponents()
        components.queryItems = [
            ("actor", actor), ("action", action), ("household", household), ("from", trimmed(filter.from)), ("to", trimmed(filter.to)),
        ]
        .filter { !$0.1.isEmpty }.map { URLQueryItem(name: $0.0, value: $0.1) }
        let base = SiteURL.staffAudit.path() + "?" + (components.percentEncodedQuery.map { $0 + "&" } ?? "")
        let page = AuditPage(
            layout: request.layout(titleKey: "audit_log.title", hasErrors: !errors.isEmpty), summary: ErrorSummary(request, errors),
            filters: [
                .input("actor", label: "audit_log.actor", hint: "audit_log.actor_hint", required: false, value: actor, errors: m),
                .input(
                    "household", label: "audit_log.household", hint: "audit_log.household_hint", required: false, value: household,
                    errors: m),
                .input(
                    "from", label: "audit_log.from", hint: "audit_log.date_hint", type: "date", required: false, value: filter.from,
                    errors: m),
                .input(
                    "to", label: "audit_log.to", hint: "audit_log.date_hint", type: "date", required: false, value: filter.to, errors: m),
            ],
            actions: [FormField.Option(value: "", labelKey: "audit_log.any_action", checked: action.isEmpty)]
                + AuditEvent.Action.allCases.map {
                    FormField.Option(value: $0.rawValue, labelKey: "audit.\($0.rawValue)", checked: $0.rawValue == action)
                },
            rows: rows, hasRows: !rows.isEmpty, pageNumber: pageNumber,
            previousURL: pageNumber > 1 && errors.isEmpty ? base + "page=\(pageNumber - 1)" : nil,
            nextURL: more ? base + "page=\(pageNumber + 1)" : nil)
        return try await request.view.render("staff/audit", page).response(errors.isEmpty ? .ok : .unprocessableEntity, for: request)
    }

    /// The start of a city day written `YYYY-MM-DD`, or nil.
    static func day(_ text: String) -> Date? {
        let parts = text.split(separator: "-").compactMap { Int($0) }
        guard parts.count == 3, text.count == 10 else { return nil }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = Request.cityTimeZone
        let components = DateComponents(year: parts[0], month: parts[1], day: parts[2])
        guard components.isValidDate(in: calendar), let date = calendar.date(from: components) else { return nil }
        return date
    }
}
