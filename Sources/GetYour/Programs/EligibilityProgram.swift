import Eligibility
import Fluent
import Foundation

/// An outside program whose proof stands in for income documents (P2, reference data).
final class EligibilityProgram: Model, @unchecked Sendable {
    static let schema = "eligibility_programs"

    @ID(key: .id) var id: UUID?
    @Field(key: "slug") var slug: String
    @Field(key: "ami_level") var amiLevel: Int
    @Field(key: "active") var active: Bool
    @Field(key: "sort") var sort: Int
    @Field(key: "name_en") var nameEN: String
    @OptionalField(key: "name_es") var nameES: String?
    @Field(key: "document_en") var documentEN: String
    @OptionalField(key: "document_es") var documentES: String?

    init() {}

    var level: IncomeLevel { IncomeLevel(hundredths: amiLevel) }

    /// Text in the person's language; Spanish falls back to English when missing.
    func name(_ language: Language) -> String { language == .es ? (nameES ?? nameEN) : nameEN }
    func document(_ language: Language) -> String { language == .es ? (documentES ?? documentEN) : documentEN }

    static func active(on db: any Database) async throws -> [EligibilityProgram] {
        try await EligibilityProgram.query(on: db).filter(\.$active == true).sort(\.$sort).all()
    }
}

/// One of the city's income-qualified programs (P2: "IQ programs" in the original).
final class BenefitProgram: Model, @unchecked Sendable {
    static let schema = "benefit_programs"

    @ID(key: .id) var id: UUID?
    @Field(key: "slug") var slug: String
    @Field(key: "ceiling") var ceiling: Int
    @Field(key: "requires") var requires: [String]
    @Field(key: "renewal_years") var renewalYears: Int
    @Field(key: "auto_apply") var autoApply: Bool
    @Field(key: "active") var active: Bool
    @Field(key: "sort") var sort: Int
    @OptionalField(key: "learn_more_url") var learnMoreURL: String?
    @OptionalField(key: "external_form_url") var externalFormURL: String?
    @Field(key: "name_en") var nameEN: String
    @OptionalField(key: "name_es") var nameES: String?
    @Field(key: "category_en") var categoryEN: String
    @OptionalField(key: "category_es") var categoryES: String?
    @Field(key: "description_en") var descriptionEN: String
    @OptionalField(key: "description_es") var descriptionES: String?
    @OptionalField(key: "review_period_en") var reviewPeriodEN: String?
    @OptionalField(key: "review_period_es") var reviewPeriodES: String?

    init() {}

    var terms: ProgramTerms {
        ProgramTerms(slug: slug, active: active, ceiling: IncomeLevel(hundredths: ceiling), requirements: Set(requires))
    }

    func name(_ language: Language) -> String { language == .es ? (nameES ?? nameEN) : nameEN }
    func category(_ language: Language) -> String { language == .es ? (categoryES ?? categoryEN) : categoryEN }
    func description(_ language: Language) -> String { language == .es ? (descriptionES ?? descriptionEN) : descriptionEN }
    func reviewPeriod(_ language: Language) -> String? { language == .es ? (reviewPeriodES ?? reviewPeriodEN) : reviewPeriodEN }

    static func active(on db: any Database) async throws -> [BenefitProgram] {
        try await BenefitProgram.query(on: db).filter(\.$active == true).sort(\.$sort).all()
    }
}
