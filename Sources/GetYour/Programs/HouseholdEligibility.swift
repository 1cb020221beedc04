import Eligibility
import Fluent
import Foundation

/// Everything the eligibility rule needs about one household, from its current (submitted)
/// application: the income level from the selected eligibility programs and the coverage of
/// the eligibility address (P4, P5). The rule itself lives in the `Eligibility` target.
struct HouseholdEligibility {
    let level: IncomeLevel?
    let coverage: Coverage

    static func load(for application: ApplicationRecord, on db: any Database) async throws -> HouseholdEligibility {
        let programs = try await ProgramsStepController.selected(application, on: db)
        let address = try await application.$eligibilityAddress.get(on: db)
        return HouseholdEligibility(
            level: application.noPrograms ? nil : IncomeLevel.household(selectedProgramLevels: programs.map(\.level)),
            coverage: address?.effectiveCoverage ?? .none)
    }

    func check(_ program: BenefitProgram) -> Ineligibility? {
        EligibilityRule.check(program.terms, level: level, coverage: coverage)
    }
}

/// P4 auto-apply: eligible programs flagged auto-apply get an `applied` enrollment (once: the
/// unique pair makes a repeated run harmless) — when a first application is submitted, and
/// when a renewal is verified (a renewal under review changes nothing, issue 12).
enum AutoApply {
    static func run(applicationID: UUID, on db: any Database) async throws {
        guard let application = try await ApplicationRecord.find(applicationID, on: db), application.status != .draft,
            application.kind == .initial || application.status == .verified
        else { return }
        let eligibility = try await HouseholdEligibility.load(for: application, on: db)
        for program in try await BenefitProgram.active(on: db) where program.autoApply && eligibility.check(program) == nil {
            try await Enrollment.apply(
                householdID: application.$household.id, programID: try program.requireID(), applicationID: applicationID, on: db)
        }
    }
}
