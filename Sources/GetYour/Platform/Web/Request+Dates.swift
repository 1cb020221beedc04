import Eligibility
import Foundation
import Vapor

extension Request {
    /// The city's time zone: dates residents see and "today" for birthdates.
    static let cityTimeZone = TimeZone(identifier: "America/Denver")!

    /// "November 21, 2026" / "21 de noviembre de 2026", in the page's language.
    var longDateFormatter: DateFormatter { Self.longDateFormatter(language) }

    /// The same in a given language, for messages written outside a request (jobs).
    static func longDateFormatter(_ language: Language) -> DateFormatter {
        let formatter = DateFormatter()
        formatter.dateStyle = .long
        formatter.locale = Locale(identifier: language == .es ? "es_US" : "en_US")
        formatter.timeZone = cityTimeZone
        return formatter
    }

    /// "Nov 21, 2026, 3:04 PM", for audit trails.
    var dateTimeFormatter: DateFormatter {
        let formatter = DateFormatter()
        formatter.dateStyle = .medium
        formatter.timeStyle = .short
        formatter.locale = Locale(identifier: language == .es ? "es_US" : "en_US")
        formatter.timeZone = Self.cityTimeZone
        return formatter
    }

    /// Today's date in the city.
    var today: CalendarDate {
        let parts = Calendar(identifier: .gregorian).dateComponents(in: Self.cityTimeZone, from: application.accounts.clock())
        return CalendarDate(year: parts.year!, month: parts.month!, day: parts.day!)
    }
}
