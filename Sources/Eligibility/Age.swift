/// A calendar date without a time zone (birthdates), as entered: YYYY-MM-DD.
public struct CalendarDate: Sendable, Equatable, Comparable, CustomStringConvertible {
    public let year: Int, month: Int, day: Int

    /// Parses `YYYY-MM-DD` and rejects dates that do not exist (2023-02-30).
    public init?(_ text: String) {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0].count == 4, parts[1].count == 2, parts[2].count == 2,
            parts.allSatisfy({ $0.allSatisfy(\.isASCII) && $0.allSatisfy(\.isNumber) }),
            let year = Int(parts[0]), let month = Int(parts[1]), let day = Int(parts[2]),
            (1...12).contains(month), (1...Self.days(in: month, of: year)).contains(day)
        else { return nil }
        self.year = year
        self.month = month
        self.day = day
    }

    public init(year: Int, month: Int, day: Int) {
        self.year = year
        self.month = month
        self.day = day
    }

    public var description: String {
        "\(year)-\(month < 10 ? "0" : "")\(month)-\(day < 10 ? "0" : "")\(day)"
    }

    public static func < (lhs: CalendarDate, rhs: CalendarDate) -> Bool {
        (lhs.year, lhs.month, lhs.day) < (rhs.year, rhs.month, rhs.day)
    }

    /// Whole years from `self` (a birthdate) to `today`.
    public func age(on today: CalendarDate) -> Int {
        today.year - year - ((today.month, today.day) < (month, day) ? 1 : 0)
    }

    static func days(in month: Int, of year: Int) -> Int {
        switch month {
        case 2: (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }
}

/// Birthdate rules for household members (P3 step 6).
public enum BirthdateRule {
    public enum Problem: Sendable, Equatable { case notADate, inTheFuture, before1900 }

    public static func check(_ text: String, today: CalendarDate) -> Problem? {
        guard let date = CalendarDate(text) else { return .notADate }
        if date > today { return .inTheFuture }
        if date.year < 1900 { return .before1900 }
        return nil
    }

    /// Adults need an adult ID; children have other kinds of ID (hints on the checklist).
    public static let adultAge = 18
}
