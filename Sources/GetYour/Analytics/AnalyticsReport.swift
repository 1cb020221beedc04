import Foundation
import SQLKit

/// What `/staff/analytics` shows, computed from the aggregate tables only (`funnel_counts`,
/// `daily_counts`, `verification_days`): a handful of small reads however many events exist.
struct AnalyticsReport: Sendable, Equatable {
    struct Stage: Sendable, Equatable {
        let stage: String
        let households: Int
        /// Percent of the first stage's households (0 when the first stage is empty).
        let ofStarted: Int
        /// Percent lost since the previous stage; nil for the first.
        let dropOff: Int?
    }

    struct Week: Sendable, Equatable {
        /// The Monday that starts the week, `YYYY-MM-DD`.
        let start: String
        let submitted: Int
        let verified: Int
        let enrolled: Int
        /// Median whole days from submission to verification for households verified that week.
        let medianDays: Double?
    }

    let funnel: [Stage]
    let weeks: [Week]
    /// Median days submitted → verified over the weeks shown, and over all time.
    let medianDaysShown: Double?
    let medianDaysAllTime: Double?

    /// The funnel's stages in order: the application's steps, then the decisions.
    static let stages = ["address", "household", "members", "programs", "documents", "submitted", "verified", "enrolled"]
    static let weekCount = 12

    /// The funnel from each stage's household count.
    static func funnel(_ counts: [String: Int]) -> [Stage] {
        let first = counts[stages[0]] ?? 0
        var previous: Int?
        return stages.map { stage in
            let n = counts[stage] ?? 0
            defer { previous = n }
            return Stage(
                stage: stage, households: n, ofStarted: percent(n, of: first),
                dropOff: previous.map { $0 == 0 ? 0 : max(0, 100 - percent(n, of: $0)) })
        }
    }

    /// `part` as a whole percentage of `whole`, rounded half up; 0 when `whole` is 0.
    static func percent(_ part: Int, of whole: Int) -> Int {
        guard whole > 0 else { return 0 }
        return Int((Double(part) * 100 / Double(whole)).rounded())
    }

    /// The median of a histogram (value → how many times it occurred); the mean of the two
    /// middle values when the count is even; nil when empty.
    static func median(_ histogram: [Int: Int]) -> Double? {
        let total = histogram.values.reduce(0, +)
        guard total > 0 else { return nil }
        let lower = (total + 1) / 2, upper = total / 2 + 1
        var seen = 0
        var low: Int?
        for value in histogram.keys.sorted() {
            seen += histogram[value]!
            if low == nil, seen >= lower { low = value }
            if seen >= upper { return (Double(low!) + Double(value)) / 2 }
        }
        return nil
    }

    /// The report for the `weekCount` weeks up to and including the week of `now`.
    static func load(_ sql: any SQLDatabase, now: Date, calendar: AnalyticsCalendar) async throws -> AnalyticsReport {
        struct StageCount: Decodable {
            let stage: String
            let households: Int
        }
        struct DayCount: Decodable {
            let day: String
            let kind: String
            let n: Int
        }
        struct Bucket: Decodable {
            let week: String
            let days: Int
            let n: Int
        }
        struct Total: Decodable {
            let days: Int
            let n: Int
        }
        let counts = try await sql.raw("SELECT stage, households FROM funnel_counts").all(decoding: StageCount.self)
        let thisWeek = calendar.weekStart(now)
        let starts = (0..<weekCount).reversed().map { calendar.calendar.date(byAdding: .weekOfYear, value: -$0, to: thisWeek)! }
        let firstDay = calendar.day(starts[0])
        let days = try await sql.raw(
            """
            SELECT day, kind, n FROM daily_counts WHERE day >= \(bind: firstDay)
            AND kind IN ('submitted', 'verified', 'enrolled')
            """
        ).all(decoding: DayCount.self)
        let buckets = try await sql.raw("SELECT week, days, n FROM verification_days WHERE week >= \(bind: firstDay)")
            .all(decoding: Bucket.self)
        let totals = try await sql.raw("SELECT days, CAST(SUM(n) AS BIGINT) AS n FROM verification_days GROUP BY days").all(
            decoding: Total.self)

        // Every day of the period, mapped to its week's start.
        var weekOfDay: [String: String] = [:]
        for start in starts {
            for offset in 0..<7 {
                weekOfDay[calendar.day(calendar.calendar.date(byAdding: .day, value: offset, to: start)!)] = calendar.day(start)
            }
        }
        var volumes: [String: [String: Int]] = [:]
        for row in days {
            guard let week = weekOfDay[row.day] else { continue }
            volumes[week, default: [:]][row.kind, default: 0] += row.n
        }
        var histograms: [String: [Int: Int]] = [:]
        var shown: [Int: Int] = [:]
        for bucket in buckets {
            histograms[bucket.week, default: [:]][bucket.days, default: 0] += bucket.n
            shown[bucket.days, default: 0] += bucket.n
        }
        let weeks = starts.map { start -> Week in
            let key = calendar.day(start)
            let v = volumes[key] ?? [:]
            return Week(
                start: key, submitted: v["submitted"] ?? 0, verified: v["verified"] ?? 0, enrolled: v["enrolled"] ?? 0,
                medianDays: median(histograms[key] ?? [:]))
        }
        return AnalyticsReport(
            funnel: funnel(Dictionary(counts.map { ($0.stage, $0.households) }, uniquingKeysWith: +)), weeks: weeks,
            medianDaysShown: median(shown),
            medianDaysAllTime: median(Dictionary(totals.map { ($0.days, $0.n) }, uniquingKeysWith: +)))
    }
}
