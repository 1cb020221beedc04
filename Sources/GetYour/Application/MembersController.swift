import Eligibility
import Fluent
import Vapor

/// `/apply/members` (P3 step 6): the applicant first (prefilled from the account), then
/// everyone else; each add, change and removal is its own POST, so no JavaScript is needed.
struct MembersController {
    struct Form: Content {
        var first_name: String?
        var last_name: String?
        var birthdate: String?
    }

    struct MemberRow: Encodable {
        let id: String
        let name: String
        let birthdate: String
        let isApplicant: Bool
        let isComplete: Bool
    }

    struct ListPage: StepPage {
        let header: StepHeader
        let members: [MemberRow]
        var layout: LayoutContext?
    }

    struct EditPage: StepPage {
        let header: StepHeader
        let isNew: Bool
        let isApplicant: Bool
        let action: String
        let fields: [FormField]
        var layout: LayoutContext?
    }

    func list(_ request: Request) async throws -> Response {
        let draft = try await request.flow.draft()
        if let redirect = try await request.flow.redirect(ifUnreachable: .members, draft) { return redirect }
        guard let draft else { throw Abort(.notFound) }
        return try await renderList(request, draft, FormErrors(), status: .ok)
    }

    /// "Continue": every member needs a name and a real birthdate.
    func finish(_ request: Request) async throws -> Response {
        let draft = try await request.flow.draft()
        if let redirect = try await request.flow.redirect(ifUnreachable: .members, draft) { return redirect }
        guard let draft else { throw Abort(.notFound) }
        let members = try await Self.members(of: draft, on: request.db(.primary))
        var errors = FormErrors()
        if let incomplete = members.first(where: { !$0.isComplete }) {
            errors.add("member-\(incomplete.id?.uuidString ?? "")", "members.error.incomplete", [incomplete.fullName])
        }
        guard errors.isEmpty else { return try await renderList(request, draft, errors, status: .unprocessableEntity) }
        return try await request.flow.advance(draft, past: .members, returnToReview: request.returnsToReview, on: request.db(.primary))
    }

    func new(_ request: Request) async throws -> Response {
        let draft = try await request.flow.draft()
        if let redirect = try await request.flow.redirect(ifUnreachable: .members, draft) { return redirect }
        return try await renderEdit(request, member: nil, Form(), FormErrors(), status: .ok)
    }

    func create(_ request: Request) async throws -> Response {
        let draft = try await request.flow.draft()
        if let redirect = try await request.flow.redirect(ifUnreachable: .members, draft) { return redirect }
        guard let draft else { throw Abort(.notFound) }
        let form = try request.content.decode(Form.self)
        var errors = validate(form, today: today(request))
        let limit = request.application.settings.maxHouseholdMembers
        if try await HouseholdMember.query(on: request.db(.primary)).filter(\.$application.$id == draft.requireID()).count() >= limit {
            errors.add("first_name", "members.error.too_many", ["\(limit)"])
        }
        guard errors.isEmpty else { return try await renderEdit(request, member: nil, form, errors, status: .unprocessableEntity) }
        let member = HouseholdMember()
        member.$application.id = try draft.requireID()
        apply(form, to: member)
        member.isApplicant = false
        try await member.create(on: request.db(.primary))
        return request.redirect(to: SiteURL.members.path() + (request.returnsToReview ? "?return=review" : ""), redirectType: .normal)
    }

    func edit(_ request: Request) async throws -> Response {
        let (_, member) = try await owned(request)
        return try await renderEdit(
            request, member: member,
            Form(first_name: member.firstName, last_name: member.lastName, birthdate: member.birthdate), FormErrors(), status: .ok)
    }

    func update(_ request: Request) async throws -> Response {
        let (_, member) = try await owned(request)
        let form = try request.content.decode(Form.self)
        let errors = validate(form, today: today(request))
        guard errors.isEmpty else { return try await renderEdit(request, member: member, form, errors, status: .unprocessableEntity) }
        apply(form, to: member)
        try await member.update(on: request.db(.primary))
        return request.redirect(to: SiteURL.members.path() + (request.returnsToReview ? "?return=review" : ""), redirectType: .normal)
    }

    func delete(_ request: Request) async throws -> Response {
        let (_, member) = try await owned(request)
        guard !member.isApplicant else { throw Abort(.badRequest) }
        // Their ID uploads go with them: documents of a removed member no longer apply.
        try await request.db(.primary).writeTransaction { db in
            let documents = try await Document.query(on: db).filter(\.$member.$id == member.requireID()).all()
            for document in documents { try await request.application.documentStore.delete(key: document.storageKey) }
            try await Document.query(on: db).filter(\.$member.$id == member.requireID()).delete()
            try await member.delete(on: db)
        }
        return request.redirect(to: SiteURL.members.path(), redirectType: .normal)
    }

    /// The member named in the URL, only if it belongs to this resident's draft (404 otherwise).
    private func owned(_ request: Request) async throws -> (ApplicationRecord, HouseholdMember) {
        guard let draft = try await request.flow.draft(), draft.graph.isReachable(.members),
            let id = request.parameters.get("id").flatMap(UUID.init(uuidString:)),
            let member = try await HouseholdMember.query(on: request.db(.primary))
                .filter(\.$id == id).filter(\.$application.$id == draft.requireID()).first()
        else { throw Abort(.notFound) }
        return (draft, member)
    }

    static func members(of application: ApplicationRecord, on db: any Database) async throws -> [HouseholdMember] {
        try await HouseholdMember.query(on: db).filter(\.$application.$id == application.requireID())
            .sort(\.$isApplicant, .descending).sort(\.$createdAt).all()
    }

    private func apply(_ form: Form, to member: HouseholdMember) {
        member.firstName = ContactRules.name(form.first_name ?? "") ?? ""
        member.lastName = ContactRules.name(form.last_name ?? "") ?? ""
        member.birthdate = (form.birthdate ?? "").trimmingCharacters(in: .whitespaces)
    }

    private func today(_ request: Request) -> CalendarDate { request.today }

    func validate(_ form: Form, today: CalendarDate) -> FormErrors {
        var errors = FormErrors()
        ContactRules.checkNames(
            first: form.first_name, last: form.last_name, firstKey: "members.error.first_name",
            lastKey: "members.error.last_name", into: &errors)
        let birthdate = (form.birthdate ?? "").trimmingCharacters(in: .whitespaces)
        if birthdate.isEmpty {
            errors.add("birthdate", "members.error.birthdate_required")
        } else {
            switch BirthdateRule.check(birthdate, today: today) {
            case .notADate?: errors.add("birthdate", "members.error.birthdate_invalid")
            case .inTheFuture?: errors.add("birthdate", "members.error.birthdate_future")
            case .before1900?: errors.add("birthdate", "members.error.birthdate_1900")
            case nil: break
            }
        }
        return errors
    }

    private func renderList(_ request: Request, _ draft: ApplicationRecord, _ errors: FormErrors, status: HTTPResponseStatus) async throws
        -> Response
    {
        let members = try await Self.members(of: draft, on: request.db(.primary))
        let page = ListPage(
            header: StepHeader(request, step: .members, titleKey: "members.title", errors: errors, returnToReview: request.returnsToReview),
            members: members.map {
                MemberRow(
                    id: $0.id?.uuidString ?? "", name: $0.fullName, birthdate: $0.birthdate, isApplicant: $0.isApplicant,
                    isComplete: $0.isComplete)
            })
        return try await request.renderStep("application/members", page).response(status, for: request)
    }

    private func renderEdit(_ request: Request, member: HouseholdMember?, _ form: Form, _ errors: FormErrors, status: HTTPResponseStatus)
        async throws -> Response
    {
        let m = errors.resolved(request)
        let page = EditPage(
            header: StepHeader(
                request, step: .members, titleKey: member == nil ? "members.new_title" : "members.edit_title", errors: errors,
                returnToReview: request.returnsToReview),
            isNew: member == nil,
            isApplicant: member?.isApplicant ?? false,
            action: member.flatMap { $0.id }.map { SiteURL.member.path($0.uuidString) } ?? SiteURL.memberNew.path(),
            fields: [
                .input(
                    "first_name", label: "members.first_name", autocomplete: member?.isApplicant == true ? "given-name" : "off",
                    value: form.first_name, errors: m),
                .input(
                    "last_name", label: "members.last_name", autocomplete: member?.isApplicant == true ? "family-name" : "off",
                    value: form.last_name, errors: m),
                .input(
                    "birthdate", label: "members.birthdate", hint: "members.birthdate_hint", type: "date",
                    autocomplete: member?.isApplicant == true ? "bday" : "off", value: form.birthdate, errors: m),
            ])
        return try await request.renderStep("application/member-edit", page).response(status, for: request)
    }
}
