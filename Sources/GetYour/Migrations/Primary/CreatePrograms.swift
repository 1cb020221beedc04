import Fluent

/// P2 reference data: eligibility programs (outside proof of income).
struct CreateEligibilityPrograms: AsyncMigration {
    var name: String { "P006_CreateEligibilityPrograms" }

    func prepare(on database: any Database) async throws {
        try await database.schema("eligibility_programs")
            .id()
            .field("slug", .string, .required)
            .field("ami_level", .int, .required)
            .field("active", .bool, .required)
            .field("sort", .int, .required)
            .field("name_en", .string, .required)
            .field("name_es", .string)
            .field("document_en", .string, .required)
            .field("document_es", .string)
            .unique(on: "slug", name: "eligibility_programs_slug_unique")
            .create()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("eligibility_programs").delete()
    }
}

/// P2 reference data: the city's benefit programs.
struct CreateBenefitPrograms: AsyncMigration {
    var name: String { "P007_CreateBenefitPrograms" }

    func prepare(on database: any Database) async throws {
        try await database.schema("benefit_programs")
            .id()
            .field("slug", .string, .required)
            .field("ceiling", .int, .required)
            .field("requires", .array(of: .string), .required)
            .field("renewal_years", .int, .required)
            .field("auto_apply", .bool, .required)
            .field("active", .bool, .required)
            .field("sort", .int, .required)
            .field("learn_more_url", .string)
            .field("external_form_url", .string)
            .field("name_en", .string, .required)
            .field("name_es", .string)
            .field("category_en", .string, .required)
            .field("category_es", .string)
            .field("description_en", .string, .required)
            .field("description_es", .string)
            .field("review_period_en", .string)
            .field("review_period_es", .string)
            .unique(on: "slug", name: "benefit_programs_slug_unique")
            .create()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("benefit_programs").delete()
    }
}
