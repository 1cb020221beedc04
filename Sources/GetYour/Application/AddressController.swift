import Eligibility
import Fluent
import Vapor

/// `/apply/address` and `/apply/address/confirm` (P3 step 4, P5): the home address is
/// standardised by the verifier; a correction is offered for the person to accept or keep
/// what they typed (flagged for staff); the mailing address is optional.
struct AddressController {
    struct Form: Content {
        var street: String?
        var unit: String?
        var city: String?
        var state: String?
        var zip: String?
        var mailing_same: String?
        var mailing_street: String?
        var mailing_unit: String?
        var mailing_city: String?
        var mailing_state: String?
        var mailing_zip: String?

        var home: AddressInput { AddressInput(typed: street, unit: unit, city: city, state: state, zip: zip) }
        var mailing: AddressInput {
            AddressInput(typed: mailing_street, unit: mailing_unit, city: mailing_city, state: mailing_state, zip: mailing_zip)
        }
    }

    /// What waits in the session while the person looks at a suggested correction.
    struct Pending: Codable {
        let typed: AddressInput
        /// nil when the verifier found nothing: the person may still keep what they typed.
        let suggested: VerifiedAddress?
        let mailing: AddressInput?
        let returnToReview: Bool
    }

    struct Page: StepPage {
        let header: StepHeader
        let notice: String?
        /// Shown when the verifier found nothing: the way to keep the address as typed.
        let keepAsTypedURL: String?
        let home: [FormField]
        let mailingSame: FormField
        let mailing: [FormField]
        var layout: LayoutContext?
    }

    struct ConfirmPage: StepPage {
        let header: StepHeader
        let typed: [String]
        let suggested: [String]
        let hasSuggestion: Bool
        let choice: FormField
        var layout: LayoutContext?
    }

    static let pendingKey = "address.pending"

    func show(_ request: Request) async throws -> Response {
        let draft = try await request.flow.draft()
        if let redirect = try await request.flow.redirect(ifUnreachable: .address, draft) { return redirect }
        var form = Form(state: "CO", mailing_same: "yes")
        if let draft {
            try await draft.$eligibilityAddress.load(on: request.db(.primary))
            try await draft.$mailingAddress.load(on: request.db(.primary))
            if let home = draft.eligibilityAddress {
                form = Form(street: home.street, unit: home.unit, city: home.city, state: home.state, zip: home.zip, mailing_same: "yes")
                if let mailing = draft.mailingAddress, mailing.id != home.id {
                    form.mailing_same = "no"
                    form.mailing_street = mailing.street
                    form.mailing_unit = mailing.unit
                    form.mailing_city = mailing.city
                    form.mailing_state = mailing.state
                    form.mailing_zip = mailing.zip
                }
            }
        }
        return try await render(request, form, FormErrors(), status: .ok)
    }

    func update(_ request: Request) async throws -> Response {
        let form = try request.content.decode(Form.self)
        var errors = FormErrors()
        Self.validate(form.home, prefix: "", into: &errors)
        if form.mailing_same != "yes" && form.mailing_same != "no" { errors.add("mailing_same", "address.error.mailing_same") }
        if form.mailing_same == "no" { Self.validate(form.mailing, prefix: "mailing_", into: &errors) }
        guard errors.isEmpty else { return try await render(request, form, errors, status: .unprocessableEntity) }

        let verification: AddressVerification
        do {
            verification = try await request.application.addressVerifier.verify(form.home)
        } catch {
            request.logger.warning("address verifier unavailable", metadata: ["error": "\(type(of: error))"])
            return try await render(request, form, FormErrors(), notice: "address.verifier_down", status: .serviceUnavailable)
        }
        let mailing = form.mailing_same == "no" ? form.mailing : nil
        switch verification {
        case .notFound:
            // The fields come back to fix a typo; if the address is right after all, the
            // person may keep it as typed after a second, explicit confirmation (staff check it).
            let pending = Pending(typed: form.home, suggested: nil, mailing: mailing, returnToReview: request.returnsToReview)
            request.browserSession[Self.pendingKey] = String(decoding: try JSONEncoder().encode(pending), as: UTF8.self)
            errors.add("street", "address.error.not_found")
            return try await render(request, form, errors, keepAsTyped: true, status: .unprocessableEntity)
        case .suggestion(let suggested):
            let pending = Pending(typed: form.home, suggested: suggested, mailing: mailing, returnToReview: request.returnsToReview)
            request.browserSession[Self.pendingKey] = String(decoding: try JSONEncoder().encode(pending), as: UTF8.self)
            return request.redirect(to: SiteURL.addressConfirm.path(), redirectType: .normal)
        case .exact(let verified):
            return try await save(request, home: verified, verified: true, mailing: mailing, returnToReview: request.returnsToReview)
        }
    }

    func showConfirm(_ request: Request) async throws -> Response {
        guard let pending = pending(request) else { return request.redirect(to: SiteURL.address.path(), redirectType: .normal) }
        return try await renderConfirm(request, pending, FormErrors(), status: .ok)
    }

    func confirm(_ request: Request) async throws -> Response {
        guard let pending = pending(request) else { return request.redirect(to: SiteURL.address.path(), redirectType: .normal) }
        let choice = try? request.content.get(String.self, at: "choice")
        switch choice {
        case "suggested":
            guard let suggested = pending.suggested else { fallthrough }
            return try await save(
                request, home: suggested, verified: true, mailing: pending.mailing, returnToReview: pending.returnToReview)
        case "as_entered":
            // Kept as typed: coverage unknown, flagged for staff (verified = false).
            let typed = pending.typed
            let kept = VerifiedAddress(
                street: typed.street, unit: typed.unit, city: typed.city, state: typed.state, zip: typed.zip, coverage: [])
            return try await save(request, home: kept, verified: false, mailing: pending.mailing, returnToReview: pending.returnToReview)
        default:
            var errors = FormErrors()
            errors.add("choice", "address.error.choice")
            return try await renderConfirm(request, pending, errors, status: .unprocessableEntity)
        }
    }

    private func pending(_ request: Request) -> Pending? {
        request.browserSession[Self.pendingKey].flatMap { try? JSONDecoder().decode(Pending.self, from: Data($0.utf8)) }
    }

    private func save(_ request: Request, home: VerifiedAddress, verified: Bool, mailing: AddressInput?, returnToReview: Bool) async throws
        -> Response
    {
        let flow = request.flow
        let application = try await flow.draftCreatingIfNeeded()
        // Address records are shared reference rows: found or created on their own, before
        // the application's transaction (a conflicting insert must not abort it).
        let db = request.db(.primary)
        let homeRecord = try await Self.upsert(home, verified: verified, on: db)
        let mailingRecord = try await Self.upsertMailing(mailing, on: db)
        let response = try await db.writeTransaction { db -> Response in
            application.$eligibilityAddress.id = try homeRecord.requireID()
            application.$mailingAddress.id = try (mailingRecord ?? homeRecord).requireID()
            return try await flow.advance(application, past: .address, returnToReview: returnToReview, on: db)
        }
        request.browserSession[Self.pendingKey] = nil
        return response
    }

    /// Finds the shared record for this address or creates it. A verified lookup refreshes
    /// the verifier's coverage flags but never the admin's exceptions (original §10.17).
    /// Residents at the same address at the same moment both succeed: an insert that loses
    /// the race to the unique key reads the winner's row instead.
    static func upsert(_ address: VerifiedAddress, verified: Bool, on db: any Database) async throws -> Address {
        let key =
            (verified ? "" : "unverified:") + AddressNormaliser.key(street: address.street, unit: address.unit, zip: address.zip)
            + (verified ? "" : "|" + AddressNormaliser.canonical(address.city))
        func refreshed(_ existing: Address) async throws -> Address {
            if verified, existing.coverage != address.coverage.sorted() {
                existing.coverage = address.coverage.sorted()
                try await existing.save(on: db)
            }
            return existing
        }
        if let existing = try await Address.query(on: db).filter(\.$normalisedKey == key).first() { return try await refreshed(existing) }
        let record = Address()
        record.street = address.street
        record.unit = address.unit
        record.city = address.city
        record.state = address.state
        record.zip = address.zip
        record.verified = verified
        record.coverage = address.coverage.sorted()
        record.coverageExceptions = []
        record.normalisedKey = key
        do {
            try await record.create(on: db)
        } catch  where (error as? any DatabaseError)?.isConstraintFailure == true {
            guard let winner = try await Address.query(on: db).filter(\.$normalisedKey == key).first() else { throw error }
            return try await refreshed(winner)
        }
        return record
    }

    /// A separate mailing address is stored as typed (not verified); nil when it is the home.
    static func upsertMailing(_ mailing: AddressInput?, on db: any Database) async throws -> Address? {
        guard let mailing else { return nil }
        return try await upsert(
            VerifiedAddress(
                street: mailing.street, unit: mailing.unit, city: mailing.city, state: mailing.state, zip: mailing.zip, coverage: []),
            verified: false, on: db)
    }

    static func validate(_ address: AddressInput, prefix: String, into errors: inout FormErrors) {
        if address.street.isEmpty { errors.add(prefix + "street", "address.error.street_required") }
        if address.street.count > 200 { errors.add(prefix + "street", "address.error.too_long") }
        if address.unit.count > 50 { errors.add(prefix + "unit", "address.error.too_long") }
        if address.city.isEmpty { errors.add(prefix + "city", "address.error.city_required") }
        if address.city.count > 100 { errors.add(prefix + "city", "address.error.too_long") }
        if address.state.count != 2 || !address.state.allSatisfy({ $0.isASCII && $0.isLetter }) {
            errors.add(prefix + "state", "address.error.state")
        }
        if address.zip.isEmpty {
            errors.add(prefix + "zip", "address.error.zip_required")
        } else if AddressNormaliser.zip5(address.zip) == nil {
            errors.add(prefix + "zip", "address.error.zip_invalid")
        }
    }

    private func render(
        _ request: Request, _ form: Form, _ errors: FormErrors, notice: String? = nil, keepAsTyped: Bool = false, status: HTTPResponseStatus
    ) async throws -> Response {
        let m = errors.resolved(request)
        func fields(_ prefix: String, _ values: AddressInput) -> [FormField] {
            [
                .input(
                    prefix + "street", label: "address.street", autocomplete: prefix.isEmpty ? "address-line1" : "shipping address-line1",
                    value: values.street, errors: m),
                .input(
                    prefix + "unit", label: "address.unit", autocomplete: prefix.isEmpty ? "address-line2" : "shipping address-line2",
                    required: false, value: values.unit, errors: m),
                .input(
                    prefix + "city", label: "address.city", autocomplete: prefix.isEmpty ? "address-level2" : "shipping address-level2",
                    value: values.city, errors: m),
                .input(
                    prefix + "state", label: "address.state", hint: "address.state_hint",
                    autocomplete: prefix.isEmpty ? "address-level1" : "shipping address-level1", value: values.state, errors: m),
                .input(
                    prefix + "zip", label: "address.zip", autocomplete: prefix.isEmpty ? "postal-code" : "shipping postal-code",
                    inputmode: "numeric", value: values.zip, errors: m),
            ]
        }
        let page = Page(
            header: StepHeader(request, step: .address, titleKey: "address.title", errors: errors, returnToReview: request.returnsToReview),
            notice: notice,
            keepAsTypedURL: keepAsTyped ? SiteURL.addressConfirm.path() : nil,
            home: fields("", form.home),
            mailingSame: .choice(
                "mailing_same", label: "address.mailing_same", options: [("yes", "answer.yes"), ("no", "answer.no")],
                selected: [form.mailing_same ?? ""], errors: m),
            mailing: fields("mailing_", form.mailing))
        return try await request.renderStep("application/address", page).response(status, for: request)
    }

    private func renderConfirm(_ request: Request, _ pending: Pending, _ errors: FormErrors, status: HTTPResponseStatus) async throws
        -> Response
    {
        let typed = pending.typed
        let suggested = pending.suggested.map { suggested in
            [
                suggested.unit.isEmpty ? suggested.street : "\(suggested.street) \(suggested.unit)",
                "\(suggested.city), \(suggested.state) \(suggested.zip)",
            ]
        }
        let options =
            suggested == nil
            ? [("as_entered", "address.keep_not_found")] : [("suggested", "address.use_suggested"), ("as_entered", "address.use_typed")]
        let page = ConfirmPage(
            header: StepHeader(
                request, step: .address, titleKey: suggested == nil ? "address.not_found_title" : "address.confirm_title", errors: errors),
            typed: [typed.unit.isEmpty ? typed.street : "\(typed.street) \(typed.unit)", "\(typed.city), \(typed.state) \(typed.zip)"],
            suggested: suggested ?? [], hasSuggestion: suggested != nil,
            choice: .choice(
                "choice", label: suggested == nil ? "address.not_found_question" : "address.confirm_question",
                options: options, selected: suggested == nil ? [] : ["suggested"], errors: errors.resolved(request)))
        return try await request.renderStep("application/address-confirm", page).response(status, for: request)
    }
}
