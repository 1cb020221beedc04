import Foundation
import Testing

@testable import Eligibility

@Suite("Renewal schedule: opening, reminders, grace (P11)")
struct RenewalScheduleTests {
    static let denver = TimeZone(identifier: "America/Denver")!
    var calendar: Calendar {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = Self.denver
        return calendar
    }
    /// The last second of 2027-03-31 in Denver, as `RenewalDates.expiry` gives it.
    var expiry: Date { calendar.date(from: DateComponents(year: 2027, month: 3, day: 31, hour: 23, minute: 59, second: 59))! }

    func day(_ y: Int, _ m: Int, _ d: Int, hour: Int = 12) -> Date {
        calendar.date(from: DateComponents(year: y, month: m, day: d, hour: hour))!
    }

    @Test(
        arguments: [
            // (now, days left, renewal open?)
            ((2027, 1, 29), 61, false), ((2027, 1, 30), 60, true), ((2027, 3, 31), 0, true), ((2027, 4, 1), -1, true),
        ] as [((Int, Int, Int), Int, Bool)])
    func renewalOpensSixtyCityDaysBeforeTheFirstExpiry(now: (Int, Int, Int), left: Int, open: Bool) {
        let schedule = RenewalSchedule()
        let at = day(now.0, now.1, now.2)
        #expect(schedule.daysLeft(until: expiry, now: at, calendar: calendar) == left)
        #expect(schedule.isOpen(firstExpiry: expiry, now: at, calendar: calendar) == open)
        #expect(!schedule.isOpen(firstExpiry: nil, now: at, calendar: calendar))
    }

    @Test func daysAreCityDaysNotTwentyFourHourPeriods() {
        // 23:30 on 30 January in Denver is already 31 January in UTC: still 60 days left.
        let late = day(2027, 1, 30, hour: 23).addingTimeInterval(30 * 60)
        #expect(RenewalSchedule().daysLeft(until: expiry, now: late, calendar: calendar) == 60)
    }

    @Test(
        arguments: [
            // (days before expiry, already sent, reminder due)
            (61, [], nil), (60, [], 60), (45, [], 60), (45, [60], nil), (30, [60], 30), (29, [60, 30], nil),
            (20, [], 30),  // 60 was missed (the app was down): only the closer one goes out
            (7, [60, 30], 7), (3, [60, 30, 7], nil), (0, [60, 30], 7), (-1, [], nil),
        ] as [(Int, [Int], Int?)])
    func eachReminderOnceAndOnlyTheLatestThatIsDue(before: Int, sent: [Int], due: Int?) {
        let now = calendar.date(byAdding: .day, value: -before, to: calendar.startOfDay(for: expiry))!.addingTimeInterval(9 * 3600)
        #expect(RenewalSchedule().reminderDue(firstExpiry: expiry, now: now, sent: Set(sent), calendar: calendar) == due)
    }

    @Test(arguments: [(30, false), (31, true), (0, false), (90, true)])
    func anEnrollmentLapsesOnlyAfterTheGracePeriod(daysAfter: Int, lapsed: Bool) {
        let now = calendar.date(byAdding: .day, value: daysAfter, to: expiry)!
        #expect(RenewalSchedule().hasLapsed(expiry: expiry, now: now, calendar: calendar) == lapsed)
    }

    @Test func settingsChangeTheCalendar() {
        let schedule = RenewalSchedule(opensDaysBefore: 90, reminderDays: [7, 45], graceDays: 0)
        #expect(schedule.reminderDays == [45, 7])
        #expect(schedule.isOpen(firstExpiry: expiry, now: day(2027, 1, 1), calendar: calendar))
        #expect(schedule.hasLapsed(expiry: expiry, now: day(2027, 4, 1), calendar: calendar))
    }
}

@Suite("The way through a renewal (P11)")
struct RenewalPathTests {
    @Test(
        arguments: [
            ([], Step.documents),
            ([RenewalSection.programs], .programs),
            ([.members, .address], .address),
            ([.household, .programs], .household),
        ] as [([RenewalSection], Step)])
    func itStartsAtTheFirstChangedSection(changed: [RenewalSection], first: Step) {
        #expect(RenewalPath(changed: Set(changed)).first == first)
    }

    @Test(
        arguments: [
            ([RenewalSection.address, .members], Step.address, Step.members),
            ([.address, .members], .members, .documents),
            ([.address], .address, .documents),
            ([.address], .household, .documents),  // a section not chosen, changed from the review
            ([], .documents, .review),
            ([.programs], .programs, .documents),
        ] as [([RenewalSection], Step, Step)])
    func savingASectionLeadsToTheNextChangedOneThenDocumentsThenReview(changed: [RenewalSection], saved: Step, next: Step) {
        #expect(RenewalPath(changed: Set(changed)).next(after: saved) == next)
    }
}
