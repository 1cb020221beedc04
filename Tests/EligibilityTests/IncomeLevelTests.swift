import Testing

@testable import Eligibility

@Suite("Income level (P4)")
struct IncomeLevelTests {
    @Test(arguments: [
        ("0.30", 30), ("0.3", 30), ("0.05", 5), ("1.00", 100), ("1", 100), ("0.60", 60),
    ])
    func referenceDataLevelsParse(text: String, hundredths: Int) {
        #expect(IncomeLevel(text)?.hundredths == hundredths)
    }

    @Test(arguments: ["", "abc", "-0.3", "0.301", "0.", ".3", "0.3.1"])
    func malformedLevelsAreRejected(text: String) {
        #expect(IncomeLevel(text) == nil)
    }

    @Test func theLowestSelectedProgramSetsTheHouseholdLevel() {
        let snap = IncomeLevel(hundredths: 30), medicaid = IncomeLevel(hundredths: 60)
        #expect(IncomeLevel.household(selectedProgramLevels: [medicaid, snap]) == snap)
        #expect(IncomeLevel.household(selectedProgramLevels: [medicaid]) == medicaid)
    }

    @Test func noneOfTheseMeansNoLevel() {
        #expect(IncomeLevel.household(selectedProgramLevels: []) == nil)
    }
}
