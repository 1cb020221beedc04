import Eligibility
import Foundation
import TOMLKit

/// The reference data file `settings/programs.toml` (P2), as loaded by `getyour seed`.
struct ReferenceData: Decodable, Sendable {
    struct EligibilityProgramEntry: Decodable, Sendable {
        let slug: String
        let ami_level: String
        let active: Bool
        let sort: Int
        let name_en: String
        let name_es: String?
        let document_en: String
        let document_es: String?
    }

    struct BenefitProgramEntry: Decodable, Sendable {
        let slug: String
        let ceiling: String
        let requires: [String]
        let renewal_years: Int
        let auto_apply: Bool
        let active: Bool
        let sort: Int
        let learn_more_url: String?
        let external_form_url: String?
        let name_en: String
        let name_es: String?
        let category_en: String
        let category_es: String?
        let description_en: String
        let description_es: String?
        let review_period_en: String?
        let review_period_es: String?
    }

    let eligibility_programs: [EligibilityProgramEntry]
    let benefit_programs: [BenefitProgramEntry]

    enum Problem: Error, CustomStringConvertible {
        case invalid(String)
        var description: String {
            switch self {
            case .invalid(let text): "settings/programs.toml: \(text)"
            }
        }
    }

    static func load(from file: URL) throws -> ReferenceData {
        let data = try TOMLDecoder().decode(ReferenceData.self, from: String(contentsOf: file, encoding: .utf8))
        try data.validate()
        return data
    }

    func validate() throws {
        for entry in eligibility_programs where IncomeLevel(entry.ami_level) == nil {
            throw Problem.invalid(
                "eligibility program \(entry.slug) has ami_level \"\(entry.ami_level)\", expected a fraction like \"0.30\"")
        }
        for entry in benefit_programs where IncomeLevel(entry.ceiling) == nil {
            throw Problem.invalid("benefit program \(entry.slug) has ceiling \"\(entry.ceiling)\", expected a fraction like \"0.60\"")
        }
        let slugs = eligibility_programs.map(\.slug) + benefit_programs.map(\.slug)
        for slug in slugs where slug.isEmpty || !slug.allSatisfy({ $0.isASCII && ($0.isLowercase || $0.isNumber || $0 == "_") }) {
            throw Problem.invalid("slug \"\(slug)\" must use lower-case letters, digits and _")
        }
        if Set(eligibility_programs.map(\.slug)).count != eligibility_programs.count
            || Set(benefit_programs.map(\.slug)).count != benefit_programs.count
        {
            throw Problem.invalid("a slug appears twice")
        }
    }
}
