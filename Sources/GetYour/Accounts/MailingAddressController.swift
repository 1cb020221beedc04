import Fluent
import Foundation
import Vapor

/// `POST /settings/mailing` (P3 step 12, issue 14): where letters go. The resident may change
/// the mailing address at any time; it is checked by the address verifier like the home
/// address (a correction is offered; an address the verifier cannot find may be kept as
/// typed once confirmed). The home (eligibility) address changes only through a renewal.
///
/// The change applies to the household's newest application, where the mailing address is
/// kept, and is marked as changed for staff.
struct MailingAddressController {
    struct Form: Content {
        var mailing_same: String?
        var mailing_street: String?
        var mailing_unit: String?
        var mailing_city: String?
        var mailing_state: String?
        var mailing_zip: String?
        /// Second round: `suggested` or `as_entered`.
        var mailing_choice: String?

        var address: AddressInput {
            AddressInput(typed: mailing_street, unit: mailing_unit, city: mailing_city, state: mailing_state, zip: mailing_zip)
        }
    }

    /// What the settings page shows when the verifier answered with a correction or nothing.
    struct Pending: Sendable {
        let form: Form
        let suggestion: VerifiedAddress?
    }

    static func newestApplication(_ request: Request) async throws -> ApplicationRecord? {
        let user = try request.currentUser
        guard let household = try await Household.query(on: request.db(.primary)).filter(\.$user.$id == user.requireID()).first()
        else { return nil }
        return try await ApplicationRecord.query(on: request.db(.primary)).filter(\.$household.$id == household.requireID())
            .sort(\.$startedAt, .descending).first()
    }

    func update(_ request: Request) async throws -> Response {
        guard try request.currentUser.role == .resident, let application = try await Self.newestApplication(request),
            application.$eligibilityAddress.id != nil
        else { throw Abort(.notFound) }
        let form = (try? request.content.decode(Form.self)) ?? Form()
        var errors = FormErrors()
        if form.mailing_same != "yes" && form.mailing_same != "no" { errors.add("mailing_same", "address.error.mailing_same") }
        if form.mailing_same == "no" { AddressController.validate(form.address, prefix: "mailing_", into: &errors) }
        guard errors.isEmpty else {
            return try await SettingsController().render(
                request, .mailing(Pending(form: form, suggestion: nil)), errors, status: .unprocessableEntity)
        }
        if form.mailing_same == "yes" {
            return try await save(request, application, addressID: application.$eligibilityAddress.id)
        }
        let verification: AddressVerification
        do {
            verification = try await request.application.addressVerifier.verify(form.address)
        } catch {
            request.logger.warning("address verifier unavailable", metadata: ["error": "\(type(of: error))"])
            return try await SettingsController().render(
                request, .mailing(Pending(form: form, suggestion: nil)), FormErrors(), notice: "address.verifier_down",
                status: .serviceUnavailable)
        }
        let typed = form.address
        let kept = VerifiedAddress(
            street: typed.street, unit: typed.unit, city: typed.city, state: typed.state, zip: typed.zip, coverage: [])
        switch (verification, form.mailing_choice) {
        case (.exact(let found), _), (.suggestion(let found), "suggested"):
            let address = try await AddressController.upsert(found, verified: true, on: request.db(.primary))
            return try await save(request, application, addressID: address.id)
        case (_, "as_entered"):
            let address = try await AddressController.upsert(kept, verified: false, on: request.db(.primary))
            return try await save(request, application, addressID: address.id)
        case (.suggestion(let found), _):
            if form.mailing_choice != nil { errors.add("mailing_choice", "address.error.choice") }
            return try await SettingsController().render(
                request, .mailing(Pending(form: form, suggestion: found)), errors, status: .unprocessableEntity)
        case (.notFound, _):
            errors.add("mailing_street", "address.error.not_found")
            return try await SettingsController().render(
                request, .mailing(Pending(form: form, suggestion: nil)), errors, status: .unprocessableEntity)
        }
    }

    private func save(_ request: Request, _ application: ApplicationRecord, addressID: UUID?) async throws -> Response {
        let now = request.application.clock.now()
        try await request.db(.primary).writeTransaction { db in
            application.$mailingAddress.id = addressID
            try await application.update(on: db)
            try await ApplicationFlow.markChangedForStaff(application, now: now, on: db)
        }
        return request.redirect(to: SiteURL.settings.path() + "?saved=mailing", redirectType: .normal)
    }
}
