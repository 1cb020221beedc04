import Eligibility
import Fluent
import Foundation
import Vapor

/// The two kinds of program an admin manages (P2): the city's benefit programs and the
/// outside eligibility programs whose proof stands in for income documents.
enum ProgramKind: String, CaseIterable, Sendable {
    case benefit
    case eligibility
}

/// What an admin may set on a program, as typed in `/staff/admin/programs/{kind}/…`. Levels
/// are whole percentages of the area median income (`30` is 30 %); `ceiling` is a benefit
/// program's highest level served, `ami_level` the level an eligibility program proves.
struct ProgramForm: Content, Sendable {
    var slug: String?
    var name_en: String?
    var name_es: String?
    var category_en: String?
    var category_es: String?
    var description_en: String?
    var description_es: String?
    var document_en: String?
    var document_es: String?
    var ceiling: String?
    var ami_level: String?
    var requires: [String]?
    var renewal_years: String?
    var auto_apply: String?
    var active: String?
    var sort: String?
    var learn_more_url: String?
    var external_form_url: String?
    var review_period_en: String?
    var review_period_es: String?

    init() {}

    init(_ program: BenefitProgram) {
        slug = program.slug
        name_en = program.nameEN
        name_es = program.nameES
        category_en = program.categoryEN
        category_es = program.categoryES
        description_en = program.descriptionEN
        description_es = program.descriptionES
        ceiling = String(program.ceiling)
        requires = program.requires
        renewal_years = String(program.renewalYears)
        auto_apply = program.autoApply ? "yes" : "no"
        active = program.active ? "yes" : "no"
        sort = String(program.sort)
        learn_more_url = program.learnMoreURL
        external_form_url = program.externalFormURL
        review_period_en = program.reviewPeriodEN
        review_period_es = program.reviewPeriodES
    }

    init(_ program: EligibilityProgram) {
        slug = program.slug
        name_en = program.nameEN
        name_es = program.nameES
        document_en = program.documentEN
        document_es = program.documentES
        ami_level = String(program.amiLevel)
        active = program.active ? "yes" : "no"
        sort = String(program.sort)
    }
}

/// The rules for a program form, checked before anything is written. Pure: the caller
/// supplies the coverage flags that exist (`coverage.*` messages) and whether the slug is new.
enum ProgramRules {
    static let shortLimit = 200
    static let longLimit = 2000
    static let urlLimit = 500
    /// Path words under `/staff/admin/programs/{kind}/` that a slug cannot be.
    static let reservedSlugs: Set<String> = ["new"]

    /// Lower-case letters, digits and `_`, starting with a letter, at most 40 characters:
    /// the slug appears in URLs, in the CSV file name and in partner-API roles.
    static func isSlug(_ text: String) -> Bool {
        guard let first = text.first, first.isASCII, first.isLowercase, text.count <= 40 else { return false }
        return text.allSatisfy { $0.isASCII && ($0.isLowercase || $0.isNumber || $0 == "_") }
    }

    /// A whole percentage from 1 to 200.
    static func percent(_ text: String?) -> Int? {
        guard let text = text?.trimmingCharacters(in: .whitespaces), let value = Int(text), (1...200).contains(value) else { return nil }
        return value
    }

    /// An absolute `https://` (or `http://`) link to another site, or nil for anything else.
    static func isLink(_ text: String) -> Bool {
        guard text.count <= urlLimit, !text.contains(where: \.isWhitespace), let url = URL(string: text),
            ["https", "http"].contains(url.scheme?.lowercased() ?? ""), let host = url.host, host.contains(".")
        else { return false }
        return true
    }

    static func check(_ form: ProgramForm, kind: ProgramKind, creating: Bool, knownFlags: Set<String>) -> FormErrors {
        var errors = FormErrors()
        if creating {
            let slug = trimmed(form.slug)
            if !isSlug(slug) {
                errors.add("slug", "admin_programs.error.slug_invalid")
            } else if reservedSlugs.contains(slug) {
                errors.add("slug", "admin_programs.error.slug_reserved")
            }
        }
        required(form.name_en, "name_en", limit: shortLimit, into: &errors)
        optional(form.name_es, "name_es", limit: shortLimit, into: &errors)
        switch kind {
        case .benefit:
            required(form.category_en, "category_en", limit: shortLimit, into: &errors)
            optional(form.category_es, "category_es", limit: shortLimit, into: &errors)
            required(form.description_en, "description_en", limit: longLimit, into: &errors)
            optional(form.description_es, "description_es", limit: longLimit, into: &errors)
            if percent(form.ceiling) == nil { errors.add("ceiling", "admin_programs.error.percent") }
            if !Set(form.requires ?? []).isSubset(of: knownFlags) { errors.add("requires", "admin_programs.error.requires") }
            if Int(trimmed(form.renewal_years)).map({ (0...10).contains($0) }) != true {
                errors.add("renewal_years", "admin_programs.error.renewal_years")
            }
            if !["yes", "no"].contains(form.auto_apply ?? "") { errors.add("auto_apply", "admin_programs.error.choose") }
        case .eligibility:
            required(form.document_en, "document_en", limit: shortLimit, into: &errors)
            optional(form.document_es, "document_es", limit: shortLimit, into: &errors)
            if percent(form.ami_level) == nil { errors.add("ami_level", "admin_programs.error.percent") }
        }
        if !["yes", "no"].contains(form.active ?? "") { errors.add("active", "admin_programs.error.choose") }
        if Int(trimmed(form.sort)).map({ (0...9999).contains($0) }) != true { errors.add("sort", "admin_programs.error.sort") }
        if kind == .benefit {
            for field in ["learn_more_url", "external_form_url"] {
                let value = trimmed(field == "learn_more_url" ? form.learn_more_url : form.external_form_url)
                if !value.isEmpty, !isLink(value) { errors.add(field, "admin_programs.error.link") }
            }
            optional(form.review_period_en, "review_period_en", limit: longLimit, into: &errors)
            optional(form.review_period_es, "review_period_es", limit: longLimit, into: &errors)
        }
        return errors
    }

    static func trimmed(_ text: String?) -> String { (text ?? "").trimmingCharacters(in: .whitespacesAndNewlines) }

    /// nil for an empty optional text.
    static func text(_ value: String?) -> String? {
        let text = trimmed(value)
        return text.isEmpty ? nil : text
    }

    private static func required(_ value: String?, _ field: String, limit: Int, into errors: inout FormErrors) {
        let text = trimmed(value)
        if text.isEmpty {
            errors.add(field, "admin_programs.error.required")
        } else if text.count > limit {
            errors.add(field, "admin_programs.error.too_long", [String(limit)])
        }
    }

    private static func optional(_ value: String?, _ field: String, limit: Int, into errors: inout FormErrors) {
        if trimmed(value).count > limit { errors.add(field, "admin_programs.error.too_long", [String(limit)]) }
    }
}

extension BenefitProgram {
    /// Copies a checked form onto the program (the slug only when it is new).
    func apply(_ form: ProgramForm) {
        if id == nil { slug = ProgramRules.trimmed(form.slug) }
        nameEN = ProgramRules.trimmed(form.name_en)
        nameES = ProgramRules.text(form.name_es)
        categoryEN = ProgramRules.trimmed(form.category_en)
        categoryES = ProgramRules.text(form.category_es)
        descriptionEN = ProgramRules.trimmed(form.description_en)
        descriptionES = ProgramRules.text(form.description_es)
        ceiling = ProgramRules.percent(form.ceiling) ?? ceiling
        requires = Set(form.requires ?? []).sorted()
        renewalYears = Int(ProgramRules.trimmed(form.renewal_years)) ?? renewalYears
        autoApply = form.auto_apply == "yes"
        active = form.active == "yes"
        sort = Int(ProgramRules.trimmed(form.sort)) ?? sort
        learnMoreURL = ProgramRules.text(form.learn_more_url)
        externalFormURL = ProgramRules.text(form.external_form_url)
        reviewPeriodEN = ProgramRules.text(form.review_period_en)
        reviewPeriodES = ProgramRules.text(form.review_period_es)
    }
}

extension EligibilityProgram {
    func apply(_ form: ProgramForm) {
        if id == nil { slug = ProgramRules.trimmed(form.slug) }
        nameEN = ProgramRules.trimmed(form.name_en)
        nameES = ProgramRules.text(form.name_es)
        documentEN = ProgramRules.trimmed(form.document_en)
        documentES = ProgramRules.text(form.document_es)
        amiLevel = ProgramRules.percent(form.ami_level) ?? amiLevel
        active = form.active == "yes"
        sort = Int(ProgramRules.trimmed(form.sort)) ?? sort
    }
}

/// Creating and changing programs (admins). Each save is one transaction with its audit
/// event. Nothing here deletes a program: households and their history refer to it, so an
/// admin deactivates it instead (it leaves every page residents see, and the eligibility
/// rule treats it as inactive).
struct ProgramAdministration {
    let request: Request

    enum Problem: Error { case slugTaken }

    func create(_ kind: ProgramKind, _ form: ProgramForm) async throws -> String {
        let slug = ProgramRules.trimmed(form.slug)
        // Cleared once more after the commit: a page that reloaded the programs while the
        // transaction was open must not keep the old ones.
        defer { request.application.programCatalog.invalidate() }
        return try await request.db(.primary).writeTransaction { db in
            switch kind {
            case .benefit:
                guard try await BenefitProgram.query(on: db).filter(\.$slug == slug).count() == 0 else { throw Problem.slugTaken }
                let program = BenefitProgram()
                program.apply(form)
                try await program.create(on: db)
                try await request.audit(.programCreated, .init(program: slug), on: db)
            case .eligibility:
                guard try await EligibilityProgram.query(on: db).filter(\.$slug == slug).count() == 0 else { throw Problem.slugTaken }
                let program = EligibilityProgram()
                program.apply(form)
                try await program.create(on: db)
                try await request.audit(.eligibilityProgramCreated, .init(program: slug), on: db)
            }
            return slug
        }
    }

    /// Saves the form over the stored program; returns false when nothing changed (then
    /// nothing is written or audited).
    func change(_ kind: ProgramKind, slug: String, _ form: ProgramForm) async throws -> Bool {
        defer { request.application.programCatalog.invalidate() }
        return try await request.db(.primary).writeTransaction { db in
            switch kind {
            case .benefit:
                guard let program = try await BenefitProgram.query(on: db).filter(\.$slug == slug).first() else { throw Abort(.notFound) }
                let wasActive = program.active, before = ReferenceDataLoader.signature(program)
                program.apply(form)
                guard ReferenceDataLoader.signature(program) != before else { return false }
                try await program.save(on: db)
                try await request.audit(wasActive && !program.active ? .programDeactivated : .programChanged, .init(program: slug), on: db)
            case .eligibility:
                guard let program = try await EligibilityProgram.query(on: db).filter(\.$slug == slug).first() else {
                    throw Abort(.notFound)
                }
                let wasActive = program.active, before = ReferenceDataLoader.signature(program)
                program.apply(form)
                guard ReferenceDataLoader.signature(program) != before else { return false }
                try await program.save(on: db)
                try await request.audit(
                    wasActive && !program.active ? .eligibilityProgramDeactivated : .eligibilityProgramChanged, .init(program: slug),
                    on: db)
            }
            return true
        }
    }
}
