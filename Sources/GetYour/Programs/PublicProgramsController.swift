import Eligibility
import Fluent
import Vapor

/// The public pages (P3 step 1): the landing page and `/programs` list the active benefit
/// programs; `/address-check` says whether an address is in the service area.
struct PublicProgramsController {
    struct ProgramRow: Encodable {
        let name: String
        let category: String
        let description: String
        let learnMoreURL: String?
    }

    struct ListPage: Encodable {
        let layout: LayoutContext
        let programs: [ProgramRow]
    }

    struct CheckPage: Encodable {
        let layout: LayoutContext
        let summary: ErrorSummary
        let resultKey: String?
        let fields: [FormField]
    }

    /// The flag that means "inside the area the city serves" (P5).
    static let serviceAreaFlag = "in_service_area"

    func landing(_ request: Request) async throws -> Response {
        try await request.publicPage("landing/index") {
            try await request.view.render(
                "landing/index",
                CheckPage(
                    layout: request.layout(titleKey: "landing.title"), summary: ErrorSummary(request, FormErrors()), resultKey: nil,
                    fields: Self.fields(AddressInput(street: "", unit: "", city: "", state: "CO", zip: ""), [:])
                )
                .with(programs: try await rows(request)))
        }
    }

    func list(_ request: Request) async throws -> Response {
        try await request.publicPage("programs/list") {
            try await request.view.render(
                "programs/list", ListPage(layout: request.layout(titleKey: "public_programs.title"), programs: try await rows(request)))
        }
    }

    func check(_ request: Request) async throws -> Response {
        let form = AddressInput(
            street: Self.text(request, "street"), unit: Self.text(request, "unit"), city: Self.text(request, "city"),
            state: Self.text(request, "state").uppercased(), zip: Self.text(request, "zip"))
        var errors = FormErrors()
        AddressController.validate(form, prefix: "", into: &errors)
        guard errors.isEmpty else { return try await render(request, form, errors, result: nil, status: .unprocessableEntity) }
        try await request.limitPerAddress(.addressCheck, request.application.settings.limits.addressChecks)
        let result: String
        do {
            switch try await request.application.addressVerifier.verify(form) {
            case .exact(let found), .suggestion(let found):
                result = found.coverage.contains(Self.serviceAreaFlag) ? "address_check.inside" : "address_check.outside"
            case .notFound:
                result = "address_check.not_found"
            }
        } catch {
            return try await render(request, form, FormErrors(), result: "address.verifier_down", status: .serviceUnavailable)
        }
        // A look-up, not a change: the answer is shown on this response so the address never
        // travels in a URL (and so never into a log).
        return try await render(request, form, FormErrors(), result: result, status: .ok)
    }

    private func render(_ request: Request, _ form: AddressInput, _ errors: FormErrors, result: String?, status: HTTPResponseStatus)
        async throws -> Response
    {
        let page = CheckPage(
            layout: request.layout(titleKey: "address_check.title", hasErrors: !errors.isEmpty),
            summary: ErrorSummary(request, errors), resultKey: result, fields: Self.fields(form, errors.resolved(request)))
        return try await request.view.render("programs/address-check", page).response(status, for: request)
    }

    static func fields(_ form: AddressInput, _ m: [String: String]) -> [FormField] {
        [
            .input("street", label: "address.street", autocomplete: "address-line1", value: form.street, errors: m),
            .input("unit", label: "address.unit", autocomplete: "address-line2", required: false, value: form.unit, errors: m),
            .input("city", label: "address.city", autocomplete: "address-level2", value: form.city, errors: m),
            .input(
                "state", label: "address.state", hint: "address.state_hint", autocomplete: "address-level1", value: form.state, errors: m),
            .input("zip", label: "address.zip", autocomplete: "postal-code", inputmode: "numeric", value: form.zip, errors: m),
        ]
    }

    private static func text(_ request: Request, _ name: String) -> String {
        ((try? request.content.get(String.self, at: name)) ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
    }

    private func rows(_ request: Request) async throws -> [ProgramRow] {
        try await request.programs().benefits.map {
            ProgramRow(
                name: $0.name(request.language), category: $0.category(request.language),
                description: $0.description(request.language), learnMoreURL: $0.learnMoreURL)
        }
    }
}

/// The landing page: the address check form plus the program list.
struct LandingPage: Encodable {
    let layout: LayoutContext
    let summary: ErrorSummary
    let fields: [FormField]
    let programs: [PublicProgramsController.ProgramRow]
}

extension PublicProgramsController.CheckPage {
    func with(programs: [PublicProgramsController.ProgramRow]) -> LandingPage {
        LandingPage(layout: layout, summary: summary, fields: fields, programs: programs)
    }
}

/// `/dashboard/proof` (the original's "badge"): proof that the household's income was
/// verified, with the date; printable; no document images.
struct ProofController {
    struct Page: Encodable {
        let layout: LayoutContext
        let name: String
        let reference: String
        let verifiedOn: String
        let today: String
    }

    func show(_ request: Request) async throws -> Response {
        guard let application = try await request.flow.latestSubmitted(), application.status == .verified,
            let verifiedAt = application.verifiedAt
        else { throw Abort(.notFound) }
        let formatter = request.longDateFormatter
        // The name staff verified (the applicant on the application), not the account's
        // editable name: changing one's name in Settings must not change the proof.
        guard
            let applicant = try await HouseholdMember.query(on: request.db(.primary))
                .filter(\.$application.$id == application.requireID()).filter(\.$isApplicant == true).first()
        else { throw Abort(.notFound) }
        let page = Page(
            layout: request.layout(titleKey: "proof.title"), name: applicant.fullName,
            reference: application.reference ?? "", verifiedOn: formatter.string(from: verifiedAt),
            today: formatter.string(from: request.application.clock.now()))
        return try await request.view.render("programs/proof", page).encodeResponse(for: request)
    }
}
