import Fluent
import Foundation
import Vapor

/// `GET`/`POST /settings/contact` (P13 continued, P14): the household names one helper, changes
/// them, or removes them (`remove=yes`). A mistake is a 422 on the same page with everything
/// typed kept. Saving and removing are audited without the contact's details.
struct NamedContactController {
    struct Form: Content {
        var contact_name: String?
        var contact_email: String?
        var contact_phone: String?
        var contact_relationship: String?
        var contact_receives: String?
        var remove: String?

        var input: NamedContactRules.Input {
            .init(
                name: contact_name ?? "", email: contact_email ?? "", phone: contact_phone ?? "", relationship: contact_relationship ?? "",
                receives: contact_receives ?? "")
        }
    }

    struct Page: Encodable {
        let layout: LayoutContext
        let summary: ErrorSummary
        let hasContact: Bool
        let fields: [FormField]
        let receives: FormField
    }

    func show(_ request: Request) async throws -> Response {
        let household = try await Self.household(request)
        let contact = try await HouseholdContact.of(household: household.requireID(), on: request.db(.primary))
        var form = Form()
        if let contact {
            form = Form(
                contact_name: contact.name, contact_email: contact.email, contact_phone: ContactRules.displayPhone(contact.phone),
                contact_relationship: contact.relationship, contact_receives: contact.receives.rawValue)
        }
        return try await render(request, form, FormErrors(), hasContact: contact != nil, status: .ok)
    }

    func update(_ request: Request) async throws -> Response {
        let household = try await Self.household(request)
        let householdID = try household.requireID()
        let form = (try? request.content.decode(Form.self)) ?? Form()
        let db = request.db(.primary)
        let existing = try await HouseholdContact.of(household: householdID, on: db)
        if form.remove == "yes" {
            if let existing {
                try await db.writeTransaction { db in
                    try await existing.delete(on: db)
                    try await request.audit(.contactRemoved, .init(household: householdID), on: db)
                }
            }
            return request.redirect(to: SiteURL.settings.path() + "?saved=contact_removed", redirectType: .normal)
        }
        var errors = FormErrors()
        guard let valid = NamedContactRules.check(form.input, into: &errors) else {
            return try await render(request, form, errors, hasContact: existing != nil, status: .unprocessableEntity)
        }
        let contact = existing ?? HouseholdContact()
        contact.$household.id = householdID
        contact.name = valid.name
        contact.email = valid.email
        contact.phone = valid.phone
        contact.relationship = valid.relationship
        contact.receives = valid.receives
        contact.updatedAt = request.application.clock.now()
        try await db.writeTransaction { db in
            try await contact.save(on: db)
            try await request.audit(.contactChanged, .init(household: householdID), on: db)
        }
        return request.redirect(to: SiteURL.settings.path() + "?saved=contact", redirectType: .normal)
    }

    /// Residents only; their household (made on first use, as the application does).
    static func household(_ request: Request) async throws -> Household {
        let user = try request.currentUser
        guard user.role == .resident else { throw Abort(.notFound) }
        return try await Household.forUser(user.requireID(), on: request.db(.primary))
    }

    private func render(_ request: Request, _ form: Form, _ errors: FormErrors, hasContact: Bool, status: HTTPResponseStatus)
        async throws -> Response
    {
        let messages = errors.resolved(request)
        let page = Page(
            layout: request.layout(titleKey: "named_contact.title", hasErrors: !errors.isEmpty),
            summary: ErrorSummary(request, errors),
            hasContact: hasContact,
            fields: [
                .input("contact_name", label: "named_contact.name", autocomplete: "off", value: form.contact_name, errors: messages),
                .input(
                    "contact_relationship", label: "named_contact.relationship", hint: "named_contact.relationship_hint",
                    autocomplete: "off",
                    value: form.contact_relationship, errors: messages),
                .input(
                    "contact_email", label: "named_contact.email", hint: "named_contact.reach_hint", type: "email", autocomplete: "off",
                    required: false, value: form.contact_email, errors: messages),
                .input(
                    "contact_phone", label: "named_contact.phone", hint: "named_contact.phone_hint", type: "tel", autocomplete: "off",
                    required: false, value: form.contact_phone, errors: messages),
            ],
            receives: .choice(
                "contact_receives", label: "named_contact.receives",
                options: [
                    ("copy", "named_contact.receives_copy"), ("instead", "named_contact.receives_instead"),
                    ("none", "named_contact.receives_none"),
                ],
                selected: [form.contact_receives ?? ""], errors: messages))
        return try await request.view.render("accounts/contact", page).response(status, for: request)
    }
}
