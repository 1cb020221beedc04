/// A household's income as a fraction of the area median income (AMI), e.g. 0.30 for 30 %.
/// Stored in hundredths so that comparisons at a program's ceiling are exact.
public struct IncomeLevel: Comparable, Hashable, Sendable, CustomStringConvertible {
    public let hundredths: Int

    public init(hundredths: Int) {
        self.hundredths = hundredths
    }

    /// Parses "0.30" or "0.3" (as reference data writes levels); nil for anything else.
    public init?(_ text: String) {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard (1...2).contains(parts.count), !parts[0].isEmpty, parts[0].allSatisfy(\.isASCII), parts[0].allSatisfy(\.isNumber),
            let whole = Int(parts[0])
        else { return nil }
        var fraction = 0
        if parts.count == 2 {
            let digits = parts[1]
            guard (1...2).contains(digits.count), digits.allSatisfy(\.isNumber), let value = Int(digits) else { return nil }
            fraction = digits.count == 1 ? value * 10 : value
        }
        self.hundredths = whole * 100 + fraction
    }

    public static func < (lhs: IncomeLevel, rhs: IncomeLevel) -> Bool { lhs.hundredths < rhs.hundredths }

    /// "30 %", as staff read it.
    public var description: String { "\(hundredths) %" }

    /// P4: the household's level is the lowest level among the eligibility programs it
    /// selected; with none selected ("none of these") it has no level and qualifies for
    /// nothing until staff record one.
    public static func household(selectedProgramLevels levels: [IncomeLevel]) -> IncomeLevel? {
        levels.min()
    }
}
