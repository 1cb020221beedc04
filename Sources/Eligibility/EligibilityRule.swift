/// A benefit program as the eligibility rule sees it.
public struct ProgramTerms: Sendable, Equatable {
    public let slug: String
    public let active: Bool
    /// The highest household income level the program serves.
    public let ceiling: IncomeLevel
    /// Coverage flags the eligibility address must have.
    public let requirements: Set<String>

    public init(slug: String, active: Bool, ceiling: IncomeLevel, requirements: Set<String>) {
        self.slug = slug
        self.active = active
        self.ceiling = ceiling
        self.requirements = requirements
    }
}

/// Why a household is not eligible for a program, in the order a resident should hear them.
public enum Ineligibility: Sendable, Equatable {
    case programInactive
    case noIncomeLevel
    case incomeAboveCeiling
    case outsideCoverage(missing: Set<String>)
}

/// P4: the one eligibility rule, used by the dashboard, apply, staff views, renewal and
/// auto-apply. A program is eligible when it is active, its ceiling is at least the
/// household's income level, and the eligibility address meets every coverage requirement.
public enum EligibilityRule {
    public static func check(_ program: ProgramTerms, level: IncomeLevel?, coverage: Coverage) -> Ineligibility? {
        guard program.active else { return .programInactive }
        guard let level else { return .noIncomeLevel }
        guard program.ceiling >= level else { return .incomeAboveCeiling }
        let missing = program.requirements.subtracting(coverage.flags)
        guard missing.isEmpty else { return .outsideCoverage(missing: missing) }
        return nil
    }

    public static func isEligible(_ program: ProgramTerms, level: IncomeLevel?, coverage: Coverage) -> Bool {
        check(program, level: level, coverage: coverage) == nil
    }
}
