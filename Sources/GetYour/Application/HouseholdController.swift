import Eligibility
import Fluent
import Vapor

/// `/apply/household` (P3 step 5): rent or own, and how long at this address.
struct HouseholdController {
    struct Form: Content {
        var rent_own: String?
        var duration: String?
    }

    struct Page: StepPage {
        let header: StepHeader
        let rentOwn: FormField
        let duration: FormField
        var layout: LayoutContext?
    }

    func show(_ request: Request) async throws -> Response {
        let draft = try await request.flow.draft()
        if let redirect = try await request.flow.redirect(ifUnreachable: .household, draft) { return redirect }
        return try await render(
            request, Form(rent_own: draft?.rentOwn?.rawValue, duration: draft?.duration?.rawValue), FormErrors(), status: .ok)
    }

    func update(_ request: Request) async throws -> Response {
        let draft = try await request.flow.draft()
        if let redirect = try await request.flow.redirect(ifUnreachable: .household, draft) { return redirect }
        guard let draft else { throw Abort(.notFound) }
        let form = try request.content.decode(Form.self)
        var errors = FormErrors()
        let tenure = form.rent_own.flatMap(ApplicationRecord.Tenure.init(rawValue:))
        let duration = form.duration.flatMap(ApplicationRecord.Duration.init(rawValue:))
        if tenure == nil { errors.add("rent_own", "household.error.rent_own") }
        if duration == nil { errors.add("duration", "household.error.duration") }
        guard errors.isEmpty else { return try await render(request, form, errors, status: .unprocessableEntity) }
        draft.rentOwn = tenure
        draft.duration = duration
        return try await request.flow.advance(draft, past: .household, returnToReview: request.returnsToReview, on: request.db(.primary))
    }

    private func render(_ request: Request, _ form: Form, _ errors: FormErrors, status: HTTPResponseStatus) async throws -> Response {
        let m = errors.resolved(request)
        let page = Page(
            header: StepHeader(
                request, step: .household, titleKey: "household.title", errors: errors, returnToReview: request.returnsToReview),
            rentOwn: .choice(
                "rent_own", label: "household.rent_own", options: [("rent", "household.rent"), ("own", "household.own")],
                selected: [form.rent_own ?? ""], errors: m),
            duration: .choice(
                "duration", label: "household.duration",
                options: [("under_1", "household.under_1"), ("1_to_3", "household.1_to_3"), ("over_3", "household.over_3")],
                selected: [form.duration ?? ""], errors: m))
        return try await request.renderStep("application/household", page).response(status, for: request)
    }
}
