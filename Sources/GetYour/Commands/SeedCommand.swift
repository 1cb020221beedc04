import Eligibility
import Fluent
import Vapor

/// `getyour seed`: loads `settings/programs.toml` idempotently (P12). Running it twice
/// changes nothing; after editing the file it updates text and thresholds. It never
/// deletes a program: households may reference it (deactivate it in the file instead).
struct SeedCommand: AsyncCommand {
    struct Signature: CommandSignature {}

    var help: String { "Loads the reference data (eligibility and benefit programs) from settings/programs.toml." }

    func run(using context: CommandContext, signature: Signature) async throws {
        let summary = try await ReferenceDataLoader.load(context.application)
        context.console.print(summary)
    }
}

extension Application {
    /// Loads `settings/programs.toml` (what `getyour seed` does).
    @discardableResult
    public func seedReferenceData() async throws -> String { try await ReferenceDataLoader.load(self) }
}

enum ReferenceDataLoader {
    /// Upserts every program from the file; returns a one-line summary.
    static func load(_ app: Application) async throws -> String {
        let data = try ReferenceData.load(from: app.settings.paths.settings.appendingPathComponent("programs.toml"))
        let (created, updated) = try await app.db(.primary).writeTransaction { db -> (Int, Int) in
            var created = 0, updated = 0
            for entry in data.eligibility_programs {
                let program = try await EligibilityProgram.query(on: db).filter(\.$slug == entry.slug).first() ?? EligibilityProgram()
                let isNew = program.id == nil
                let before = isNew ? "" : Self.signature(program)
                program.slug = entry.slug
                program.amiLevel = IncomeLevel(entry.ami_level)!.hundredths
                program.active = entry.active
                program.sort = entry.sort
                program.nameEN = entry.name_en
                program.nameES = entry.name_es
                program.documentEN = entry.document_en
                program.documentES = entry.document_es
                if isNew { created += 1 } else if Self.signature(program) != before { updated += 1 }
                try await program.save(on: db)
            }
            for entry in data.benefit_programs {
                let program = try await BenefitProgram.query(on: db).filter(\.$slug == entry.slug).first() ?? BenefitProgram()
                let isNew = program.id == nil
                let before = isNew ? "" : Self.signature(program)
                program.slug = entry.slug
                program.ceiling = IncomeLevel(entry.ceiling)!.hundredths
                program.requires = entry.requires.sorted()
                program.renewalYears = entry.renewal_years
                program.autoApply = entry.auto_apply
                program.active = entry.active
                program.sort = entry.sort
                program.learnMoreURL = entry.learn_more_url
                program.externalFormURL = entry.external_form_url
                program.nameEN = entry.name_en
                program.nameES = entry.name_es
                program.categoryEN = entry.category_en
                program.categoryES = entry.category_es
                program.descriptionEN = entry.description_en
                program.descriptionES = entry.description_es
                program.reviewPeriodEN = entry.review_period_en
                program.reviewPeriodES = entry.review_period_es
                if isNew { created += 1 } else if Self.signature(program) != before { updated += 1 }
                try await program.save(on: db)
            }
            return (created, updated)
        }
        return "Reference data loaded: \(created) created, \(updated) updated."
    }

    /// Every stored value of a fetched row, to tell whether the file changed it.
    static func signature(_ program: EligibilityProgram) -> String {
        "\([program.slug, program.nameEN, program.nameES ?? "", program.documentEN, program.documentES ?? ""])\(program.amiLevel)\(program.active)\(program.sort)"
    }

    static func signature(_ program: BenefitProgram) -> String {
        let texts = [
            program.slug, program.nameEN, program.nameES, program.categoryEN, program.categoryES, program.descriptionEN,
            program.descriptionES, program.reviewPeriodEN, program.reviewPeriodES, program.learnMoreURL, program.externalFormURL,
        ]
        return "\(texts)\(program.ceiling)\(program.requires)\(program.renewalYears)\(program.autoApply)\(program.active)\(program.sort)"
    }
}
