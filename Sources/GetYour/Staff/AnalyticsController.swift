import Foundation
import SQLKit
import Vapor

/// `/staff/analytics` (P9, admins): the application funnel, weekly volumes and the median
/// days from submission to verification, as server-rendered SVG charts, each with a table of
/// the same numbers. Reads the analytics database's aggregates only; when that database
/// cannot be read the page says so (503) and the rest of the app is unaffected.
struct AnalyticsController {
    struct FunnelRow: Encodable {
        let labelKey: String
        let households: Int
        let ofStarted: Int
        let dropOff: Int?
        // SVG geometry (viewBox 720 × rows·40)
        let y: Int
        let textY: Int
        let width: Int
        let valueX: Int
    }

    struct Bar: Encodable {
        let x: Int
        let y: Int
        let height: Int
        let fill: String
    }

    struct WeekRow: Encodable {
        let label: String
        let submitted: Int
        let verified: Int
        let enrolled: Int
        let medianDays: String?
        let bars: [Bar]
        let labelX: Int
    }

    struct GridLine: Encodable {
        let y: Int
        let textY: Int
        let value: Int
    }

    struct Page: Encodable {
        let layout: LayoutContext
        let available: Bool
        let funnel: [FunnelRow]
        let funnelHeight: Int
        let weeks: [WeekRow]
        let grid: [GridLine]
        let medianShown: String?
        let medianAllTime: String?
        let firstWeek: String
        let lastWeek: String
        let series: [Series]
    }

    struct Series: Encodable {
        let labelKey: String
        let fill: String
    }

    /// Fills with at least 3:1 contrast on white (WCAG 1.4.11); each also has a legend and a
    /// table column, so colour is never the only cue.
    static let palette = ["#1d4f91", "#2e7d32", "#8a4b00"]
    static let chartBottom = 240
    static let chartTop = 20

    func show(_ request: Request) async throws -> Response {
        let calendar = AnalyticsCalendar(timeZone: Request.cityTimeZone)
        let report: AnalyticsReport
        do {
            report = try await AnalyticsReport.load(
                request.db(.analytics) as! any SQLDatabase, now: request.application.clock.now(), calendar: calendar)
        } catch {
            request.logger.warning("analytics unavailable", metadata: ["error": "\(type(of: error))"])
            let page = Page(
                layout: request.layout(titleKey: "analytics.title"), available: false, funnel: [], funnelHeight: 0, weeks: [], grid: [],
                medianShown: nil, medianAllTime: nil, firstWeek: "", lastWeek: "", series: [])
            return try await request.view.render("staff/analytics", page).response(.serviceUnavailable, for: request)
        }
        let page = Self.page(report, request: request, calendar: calendar)
        return try await request.view.render("staff/analytics", page).response(.ok, for: request)
    }

    static func page(_ report: AnalyticsReport, request: Request, calendar: AnalyticsCalendar) -> Page {
        let widest = max(1, report.funnel.map(\.households).max() ?? 0)
        let funnel = report.funnel.enumerated().map { index, stage in
            let width = Int((Double(stage.households) / Double(widest) * 400).rounded())
            return FunnelRow(
                labelKey: "analytics.stage.\(stage.stage)", households: stage.households, ofStarted: stage.ofStarted,
                dropOff: stage.dropOff, y: index * 40 + 8, textY: index * 40 + 27, width: width, valueX: 200 + width + 8)
        }
        let highest = report.weeks.flatMap { [$0.submitted, $0.verified, $0.enrolled] }.max() ?? 0
        let scaleTop = niceCeiling(highest)
        let plot = Double(chartBottom - chartTop)
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: request.language == .es ? "es_US" : "en_US")
        formatter.timeZone = calendar.calendar.timeZone
        formatter.setLocalizedDateFormatFromTemplate("MMMd")
        let parse = DateFormatter()
        parse.dateFormat = "yyyy-MM-dd"
        parse.timeZone = calendar.calendar.timeZone
        parse.locale = Locale(identifier: "en_US_POSIX")
        let label = { (day: String) in parse.date(from: day).map(formatter.string(from:)) ?? day }
        let weeks = report.weeks.enumerated().map { index, week -> WeekRow in
            let groupX = 50 + index * 55
            let values = [week.submitted, week.verified, week.enrolled]
            let bars = values.enumerated().map { series, value -> Bar in
                let height = Int((Double(value) / Double(scaleTop) * plot).rounded())
                return Bar(x: groupX + series * 15, y: chartBottom - height, height: height, fill: palette[series])
            }
            return WeekRow(
                label: label(week.start), submitted: week.submitted, verified: week.verified, enrolled: week.enrolled,
                medianDays: week.medianDays.map(days), bars: bars, labelX: groupX + 22)
        }
        let grid = (0...4).map { step -> GridLine in
            let value = scaleTop * step / 4
            let y = chartBottom - Int(Double(step) / 4 * plot)
            return GridLine(y: y, textY: y + 4, value: value)
        }
        return Page(
            layout: request.layout(titleKey: "analytics.title"), available: true, funnel: funnel, funnelHeight: funnel.count * 40 + 8,
            weeks: weeks, grid: grid, medianShown: report.medianDaysShown.map(days), medianAllTime: report.medianDaysAllTime.map(days),
            firstWeek: weeks.first?.label ?? "", lastWeek: weeks.last?.label ?? "",
            series: zip(["analytics.submitted", "analytics.verified", "analytics.enrolled"], palette).map { Series(labelKey: $0, fill: $1) }
        )
    }

    /// The smallest of 4, 8, 20, 40, 80, 200, … (divisible by 4) at or above `value`, so the
    /// four grid lines fall on whole numbers.
    static func niceCeiling(_ value: Int) -> Int {
        var unit = 1
        while true {
            for step in [4, 8, 20] where step * unit >= value { return step * unit }
            unit *= 10
        }
    }

    /// "3" or "3.5": medians of whole days are whole or halves.
    static func days(_ value: Double) -> String {
        value == value.rounded() ? String(Int(value)) : String(format: "%.1f", value)
    }
}
