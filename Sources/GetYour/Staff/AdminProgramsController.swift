import Eligibility
import Fluent
import SQLKit
import Vapor

/// `/staff/admin/programs` (P2, P7, admin only): the benefit and eligibility programs, how
/// many households use each, and forms to add one or change one (texts in English and
/// Spanish, levels, coverage requirements, renewal interval, auto-apply, links, active).
struct AdminProgramsController {
    struct BenefitRow: Encodable {
        let name: String
        let slug: String
        let ceiling: Int
        let renewalYears: Int
        let autoApply: Bool
        let active: Bool
        let households: Int
        let editURL: String
    }

    struct EligibilityRow: Encodable {
        let name: String
        let slug: String
        let level: Int
        let active: Bool
        let applications: Int
        let editURL: String
    }

    struct ListPage: Encodable {
        let layout: LayoutContext
        let notice: String?
        let benefits: [BenefitRow]
        let eligibility: [EligibilityRow]
    }

    struct EditPage: Encodable {
        let layout: LayoutContext
        let summary: ErrorSummary
        let titleKey: String
        let kind: String
        let creating: Bool
        let slug: String?
        let action: String
        let fields: [FormField]
        let requires: FormField?
        let choices: [FormField]
        let more: [FormField]
    }

    private struct Count: Decodable {
        let program_id: UUID
        let n: Int
    }

    func list(_ request: Request) async throws -> Response {
        let db = request.db(.primary)
        let sql = db as! any SQLDatabase
        let households = try await sql.raw("SELECT program_id, COUNT(*) AS n FROM enrollments GROUP BY program_id").all(
            decoding: Count.self)
        let selections = try await sql.raw("SELECT program_id, COUNT(*) AS n FROM application_eligibility_programs GROUP BY program_id")
            .all(decoding: Count.self)
        let byBenefit = Dictionary(households.map { ($0.program_id, $0.n) }, uniquingKeysWith: +)
        let byEligibility = Dictionary(selections.map { ($0.program_id, $0.n) }, uniquingKeysWith: +)
        let language = request.language
        let benefits = try await BenefitProgram.query(on: db).sort(\.$sort).sort(\.$slug).all().map {
            BenefitRow(
                name: $0.name(language), slug: $0.slug, ceiling: $0.ceiling, renewalYears: $0.renewalYears, autoApply: $0.autoApply,
                active: $0.active, households: byBenefit[$0.id!] ?? 0, editURL: SiteURL.adminProgram.path("benefit", $0.slug))
        }
        let eligibility = try await EligibilityProgram.query(on: db).sort(\.$sort).sort(\.$slug).all().map {
            EligibilityRow(
                name: $0.name(language), slug: $0.slug, level: $0.amiLevel, active: $0.active, applications: byEligibility[$0.id!] ?? 0,
                editURL: SiteURL.adminProgram.path("eligibility", $0.slug))
        }
        let notice = ["created", "saved", "unchanged"].first { (try? request.query.get(String.self, at: $0)) == "1" }
            .map { "admin_programs.\($0)_done" }
        let page = ListPage(
            layout: request.layout(titleKey: "admin_programs.title"), notice: notice, benefits: benefits, eligibility: eligibility)
        return try await request.view.render("staff/admin-programs", page).response(.ok, for: request)
    }

    func showNew(_ request: Request) async throws -> Response {
        let kind = try Self.kind(request)
        var form = ProgramForm()
        form.active = "yes"
        form.auto_apply = "no"
        form.renewal_years = "1"
        form.sort = "100"
        return try await render(request, kind, slug: nil, form, FormErrors(), status: .ok)
    }

    /// POST `/staff/admin/programs/{kind}/new`.
    func create(_ request: Request) async throws -> Response {
        let kind = try Self.kind(request)
        let form = try request.content.decode(ProgramForm.self)
        var errors = ProgramRules.check(form, kind: kind, creating: true, knownFlags: Set(request.application.messages.coverageFlags))
        if errors.isEmpty {
            do {
                _ = try await ProgramAdministration(request: request).create(kind, form)
                return request.redirect(to: SiteURL.adminPrograms.path() + "?created=1", redirectType: .normal)
            } catch ProgramAdministration.Problem.slugTaken {
                errors.add("slug", "admin_programs.error.slug_taken")
            }
        }
        return try await render(request, kind, slug: nil, form, errors, status: .unprocessableEntity)
    }

    func showEdit(_ request: Request) async throws -> Response {
        let kind = try Self.kind(request)
        let slug = request.parameters.get("slug") ?? ""
        let db = request.db(.primary)
        let form: ProgramForm
        switch kind {
        case .benefit:
            guard let program = try await BenefitProgram.query(on: db).filter(\.$slug == slug).first() else { throw Abort(.notFound) }
            form = ProgramForm(program)
        case .eligibility:
            guard let program = try await EligibilityProgram.query(on: db).filter(\.$slug == slug).first() else { throw Abort(.notFound) }
            form = ProgramForm(program)
        }
        return try await render(request, kind, slug: slug, form, FormErrors(), status: .ok)
    }

    /// POST `/staff/admin/programs/{kind}/{slug}`.
    func change(_ request: Request) async throws -> Response {
        let kind = try Self.kind(request)
        let slug = request.parameters.get("slug") ?? ""
        var form = try request.content.decode(ProgramForm.self)
        form.slug = slug
        let errors = ProgramRules.check(form, kind: kind, creating: false, knownFlags: Set(request.application.messages.coverageFlags))
        guard errors.isEmpty else { return try await render(request, kind, slug: slug, form, errors, status: .unprocessableEntity) }
        let changed = try await ProgramAdministration(request: request).change(kind, slug: slug, form)
        return request.redirect(to: SiteURL.adminPrograms.path() + (changed ? "?saved=1" : "?unchanged=1"), redirectType: .normal)
    }

    static func kind(_ request: Request) throws -> ProgramKind {
        guard let kind = request.parameters.get("kind").flatMap(ProgramKind.init(rawValue:)) else { throw Abort(.notFound) }
        return kind
    }

    private func render(
        _ request: Request, _ kind: ProgramKind, slug: String?, _ form: ProgramForm, _ errors: FormErrors, status: HTTPResponseStatus
    ) async throws -> Response {
        let m = errors.resolved(request)
        let creating = slug == nil
        var fields: [FormField] = []
        if creating {
            fields.append(
                .input(
                    "slug", label: "admin_programs.slug", hint: "admin_programs.slug_hint", autocomplete: "off", value: form.slug, errors: m
                ))
        }
        fields.append(.input("name_en", label: "admin_programs.name_en", autocomplete: "off", value: form.name_en, errors: m))
        fields.append(
            .input("name_es", label: "admin_programs.name_es", autocomplete: "off", required: false, value: form.name_es, errors: m))
        let yesNo: [(value: String, label: String)] = [("yes", "answer.yes"), ("no", "answer.no")]
        var choices: [FormField] = []
        var more: [FormField] = []
        var requires: FormField?
        switch kind {
        case .benefit:
            fields += [
                .input("category_en", label: "admin_programs.category_en", autocomplete: "off", value: form.category_en, errors: m),
                .input(
                    "category_es", label: "admin_programs.category_es", autocomplete: "off", required: false, value: form.category_es,
                    errors: m),
                .textarea("description_en", label: "admin_programs.description_en", value: form.description_en, errors: m),
                optionalArea("description_es", label: "admin_programs.description_es", value: form.description_es, errors: m),
                .input(
                    "ceiling", label: "admin_programs.ceiling", hint: "admin_programs.ceiling_hint", inputmode: "numeric",
                    value: form.ceiling, errors: m),
                .input(
                    "renewal_years", label: "admin_programs.renewal_years", hint: "admin_programs.renewal_years_hint", inputmode: "numeric",
                    value: form.renewal_years, errors: m),
            ]
            requires = .choice(
                "requires", label: "admin_programs.requires", hint: "admin_programs.requires_hint",
                options: request.application.messages.coverageFlags.map { ($0, "coverage.\($0)") }, selected: Set(form.requires ?? []),
                errors: m)
            requires?.required = false
            choices.append(
                .choice(
                    "auto_apply", label: "admin_programs.auto_apply", hint: "admin_programs.auto_apply_hint", options: yesNo,
                    selected: [form.auto_apply ?? ""], errors: m))
            more = [
                .input(
                    "learn_more_url", label: "admin_programs.learn_more_url", type: "url", autocomplete: "off", required: false,
                    value: form.learn_more_url, errors: m),
                .input(
                    "external_form_url", label: "admin_programs.external_form_url", hint: "admin_programs.external_form_url_hint",
                    type: "url", autocomplete: "off", required: false, value: form.external_form_url, errors: m),
                optionalArea(
                    "review_period_en", label: "admin_programs.review_period_en", hint: "admin_programs.review_period_hint",
                    value: form.review_period_en, errors: m),
                optionalArea("review_period_es", label: "admin_programs.review_period_es", value: form.review_period_es, errors: m),
            ]
        case .eligibility:
            fields += [
                .input(
                    "document_en", label: "admin_programs.document_en", hint: "admin_programs.document_hint", autocomplete: "off",
                    value: form.document_en, errors: m),
                .input(
                    "document_es", label: "admin_programs.document_es", autocomplete: "off", required: false, value: form.document_es,
                    errors: m),
                .input(
                    "ami_level", label: "admin_programs.ami_level", hint: "admin_programs.ami_level_hint", inputmode: "numeric",
                    value: form.ami_level, errors: m),
            ]
        }
        choices.append(
            .choice(
                "active", label: "admin_programs.active", hint: "admin_programs.active_hint", options: yesNo, selected: [form.active ?? ""],
                errors: m))
        fields.append(
            .input(
                "sort", label: "admin_programs.sort", hint: "admin_programs.sort_hint", inputmode: "numeric", value: form.sort, errors: m))
        let titleKey = "admin_programs.\(creating ? "new" : "edit")_\(kind.rawValue)"
        let page = EditPage(
            layout: request.layout(titleKey: titleKey, hasErrors: !errors.isEmpty), summary: ErrorSummary(request, errors),
            titleKey: titleKey, kind: kind.rawValue, creating: creating, slug: slug,
            action: creating ? SiteURL.adminProgramNew.path(kind.rawValue) : SiteURL.adminProgram.path(kind.rawValue, slug ?? ""),
            fields: fields, requires: requires, choices: choices, more: more)
        return try await request.view.render("staff/admin-program-edit", page).response(status, for: request)
    }

    private func optionalArea(_ name: String, label: String, hint: String? = nil, value: String?, errors: [String: String]) -> FormField {
        var field = FormField.textarea(name, label: label, hint: hint, value: value, errors: errors)
        field.required = false
        return field
    }
}
