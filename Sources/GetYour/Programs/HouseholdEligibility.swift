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

/// P4 auto-apply: on submission, eligible programs flagged auto-apply get an `applied`
/// enrollment (once: the unique pair makes a repeated submission harmless).
enum AutoApply {
    static func run(applicationID: UUID, on db: any Database) async throws {
        guard let application = try await ApplicationRecord.find(applicationID, on: db), application.status != .draft else { return }
        let eligibility = try await HouseholdEligibility.load(for: application, on: db)
        for program in try await BenefitProgram.active(on: db) where program.autoApply && eligibility.check(program) == nil {
            try await Enrollment.apply(
                householdID: application.$household.id, programID: try program.requireID(), applicationID: applicationID, on: db)
        }
    }
}
