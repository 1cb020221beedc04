import Testing

@testable import Eligibility

@Suite("One eligibility rule (P4)")
struct EligibilityRuleTests {
    static let inArea = Coverage(["in_service_area", "city_covered"])
    static let outside = Coverage([])

    static func program(_ ceiling: Int, active: Bool = true, requires: Set<String> = ["in_service_area"]) -> ProgramTerms {
        ProgramTerms(slug: "p", active: active, ceiling: IncomeLevel(hundredths: ceiling), requirements: requires)
    }

    @Test(
        arguments: [
            // ceiling, active, requirements, household level, coverage, expected
            (30, true, ["in_service_area"], 30, inArea, nil),  // equality at the ceiling qualifies
            (60, true, ["in_service_area"], 30, inArea, nil),
            (30, true, ["in_service_area"], 31, inArea, Ineligibility.incomeAboveCeiling),
            (60, false, ["in_service_area"], 30, inArea, .programInactive),
            (60, true, ["in_service_area"], nil, inArea, .noIncomeLevel),  // "none of these"
            (60, true, ["in_service_area"], 30, outside, .outsideCoverage(missing: ["in_service_area"])),
            (60, true, [], 30, outside, nil),  // no coverage requirement: anywhere qualifies
            (
                60, true, ["in_service_area", "city_covered"], 30, Coverage(["in_service_area"]),
                .outsideCoverage(missing: ["city_covered"])
            ),
        ] as [(Int, Bool, Set<String>, Int?, Coverage, Ineligibility?)])
    func programsAreEligibleByLevelActivityAndCoverage(
        ceiling: Int, active: Bool, requires: Set<String>, level: Int?, coverage: Coverage, expected: Ineligibility?
    ) {
        let terms = Self.program(ceiling, active: active, requires: requires)
        #expect(EligibilityRule.check(terms, level: level.map(IncomeLevel.init(hundredths:)), coverage: coverage) == expected)
    }

    @Test func anAdminCoverageExceptionCountsAsCoverage() {
        let terms = Self.program(60)
        let excepted = Self.outside.including(exceptions: ["in_service_area"])
        #expect(EligibilityRule.isEligible(terms, level: IncomeLevel(hundredths: 30), coverage: excepted))
    }
}
