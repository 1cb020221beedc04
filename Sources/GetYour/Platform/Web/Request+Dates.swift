import Eligibility
import Foundation
import Synchronization
import Vapor

extension Request {
    /// The city's time zone: dates residents see and "today" for birthdates.
    static let cityTimeZone = TimeZone(identifier: "America/Denver")!

    /// "November 21, 2026" / "21 de noviembre de 2026", in the page's language.
    var longDateFormatter: SharedDateFormat { Self.longDateFormatter(language) }

    /// The same in a given language, for messages written outside a request (jobs).
    static func longDateFormatter(_ language: Language) -> SharedDateFormat {
        language == .es ? longDates.es : longDates.en
    }

    /// "Nov 21, 2026, 3:04 PM", for audit trails.
    var dateTimeFormatter: SharedDateFormat { language == .es ? Self.dateTimes.es : Self.dateTimes.en }

    private static let longDates = (
        en: SharedDateFormat(dateStyle: .long, timeStyle: .none, locale: "en_US"),
        es: SharedDateFormat(dateStyle: .long, timeStyle: .none, locale: "es_US")
    )
    private static let dateTimes = (
        en: SharedDateFormat(dateStyle: .medium, timeStyle: .short, locale: "en_US"),
        es: SharedDateFormat(dateStyle: .medium, timeStyle: .short, locale: "es_US")
    )

    /// Today's date in the city.
    var today: CalendarDate {
        let parts = Calendar(identifier: .gregorian).dateComponents(in: Self.cityTimeZone, from: application.accounts.clock())
        return CalendarDate(year: parts.year!, month: parts.month!, day: parts.day!)
    }
}

/// One date format for the whole process, in the city's time zone. Making a `DateFormatter`
/// (an ICU formatter underneath) costs far more than formatting with one, and a page lists up
/// to fifty dates. Formatting takes a lock: ICU formatters are not safe to share unlocked.
final class SharedDateFormat: Sendable {
    private let formatter: Mutex<DateFormatter>

    init(dateStyle: DateFormatter.Style, timeStyle: DateFormatter.Style, locale: String) {
        let formatter = DateFormatter()
        formatter.dateStyle = dateStyle
        formatter.timeStyle = timeStyle
        formatter.locale = Locale(identifier: locale)
        formatter.timeZone = Request.cityTimeZone
        self.formatter = Mutex(formatter)
    }

    func string(from date: Date) -> String {
        formatter.withLock { $0.string(from: date) }
    }
}
