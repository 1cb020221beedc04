import Eligibility
import Fluent
import Vapor

/// The resident's side of a renewal (P11, issue 12): `POST /renew` starts one (prefilled from
/// the last verified application), `/apply/changes` asks what has changed since then and
/// sends the resident through only those sections, then the documents and the review.
struct RenewalController {
    struct ChangesPage: Encodable {
        let layout: LayoutContext
        let summary: ErrorSummary
        let lastDate: String
        let changed: FormField
    }

    /// POST `/renew`.
    func start(_ request: Request) async throws -> Response {
        let household = try await request.flow.household()
        do {
            let renewal = try await RenewalStart.start(householdID: try household.requireID(), on: request.db(.primary))
            request.application.recordEvent(.renewalStarted, household: renewal.$household.id)
        } catch RenewalStart.Refusal.alreadyOpen {
            // A renewal (or another application) is already under way: continue it.
            return request.redirect(to: SiteURL.apply.path(), redirectType: .normal)
        } catch RenewalStart.Refusal.nothingVerified {
            throw Abort(.notFound)
        }
        return request.redirect(to: SiteURL.renewalChanges.path(), redirectType: .normal)
    }

    func show(_ request: Request) async throws -> Response {
        guard let draft = try await request.flow.draft(), draft.kind == .renewal else {
            return request.redirect(to: SiteURL.apply.path(), redirectType: .normal)
        }
        return try await render(request, draft, selected: Set(draft.changedSections ?? []), FormErrors(), status: .ok)
    }

    /// POST `/apply/changes`: `changed` repeated (`address`, `household`, `members`,
    /// `programs`, as P13 lists them). None ticked, or `none`, means nothing has changed: the
    /// resident goes straight to the documents and the review.
    func save(_ request: Request) async throws -> Response {
        guard let draft = try await request.flow.draft(), draft.kind == .renewal else {
            return request.redirect(to: SiteURL.apply.path(), redirectType: .normal)
        }
        let given = Set((try? request.content.get([String].self, at: "changed")) ?? [])
        let sections = given.compactMap(RenewalSection.init(rawValue:))
        var errors = FormErrors()
        if given.contains("none") && !sections.isEmpty {
            errors.add("changed", "renewal.error.none_and_changes")
        } else if sections.count + (given.contains("none") ? 1 : 0) != given.count {
            errors.add("changed", "renewal.error.choose")
        }
        guard errors.isEmpty else { return try await render(request, draft, selected: given, errors, status: .unprocessableEntity) }
        draft.changedSections = RenewalSection.allCases.filter(sections.contains).map(\.rawValue)
        try await draft.save(on: request.db(.primary))
        let path = RenewalPath(changed: Set(sections))
        return request.redirect(to: ApplicationFlow.url(for: path.first), redirectType: .normal)
    }

    private func render(
        _ request: Request, _ draft: ApplicationRecord, selected: Set<String>, _ errors: FormErrors, status: HTTPResponseStatus
    )
        async throws -> Response
    {
        let db = request.db(.primary)
        let renewed = try await ApplicationRecord.find(draft.renewsID, on: db)
        let since = renewed?.submittedAt ?? renewed?.verifiedAt
        var field = FormField.choice(
            "changed", label: "renewal.changed", hint: "renewal.changed_hint",
            options: RenewalSection.allCases.map { ($0.rawValue, "renewal.section.\($0.rawValue)") } + [("none", "renewal.section.none")],
            selected: selected, errors: errors.resolved(request))
        field.required = false
        let page = ChangesPage(
            layout: request.layout(titleKey: "renewal.changes_title", hasErrors: !errors.isEmpty), summary: ErrorSummary(request, errors),
            lastDate: since.map(request.longDateFormatter.string(from:)) ?? "", changed: field)
        return try await request.view.render("application/changes", page).response(status, for: request)
    }
}
