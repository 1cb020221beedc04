import Eligibility
import Fluent
import SQLKit
import Vapor

/// `/staff/programs/{slug}/export.csv` (P7, issue 11): the program's list for the department,
/// as CSV (UTF-8, a header row, CRLF lines). Streamed a thousand rows at a time, so memory
/// stays flat for 100,000 rows; audited; every cell a spreadsheet could take for a formula
/// (starting with `=`, `+`, `-`, `@`, a tab or a carriage return) is prefixed with `'`.
struct ProgramExportController {
    static let header = [
        "reference", "first_name", "last_name", "email", "phone", "preferred_language", "mailing_street", "mailing_unit",
        "mailing_city", "mailing_state", "mailing_zip", "applied", "verified", "status", "enrolled", "expires", "decline_reason",
    ]
    static let chunk = 1000

    struct Exported: Decodable {
        let enrollment_id: UUID
        let status: String
        let applied_at: Date
        let enrolled_at: Date?
        let expires_at: Date?
        let decline_reason: String?
        let first_name: String
        let last_name: String
        let email: String
        let phone: String
        let language: String
        let reference: String?
        let verified_at: Date?
        let street: String?
        let unit: String?
        let city: String?
        let state: String?
        let zip: String?
    }

    func export(_ request: Request) async throws -> Response {
        let program = try await ProgramAccess.program(request)
        let programID = try program.requireID()
        let statuses: [EnrollmentStatus] =
            (try? request.query.get(String.self, at: "status")).flatMap(EnrollmentStatus.init(rawValue:)).map { [$0] }
            ?? [.applied, .enrolled, .declined, .expired]
        try await request.audit(.programExported, .init(program: program.slug))
        let sql = request.application.db(.primary) as! any SQLDatabase
        let logger = request.logger
        var headers = HTTPHeaders()
        headers.contentType = HTTPMediaType(type: "text", subType: "csv", parameters: ["charset": "utf-8"])
        headers.replaceOrAdd(name: .contentDisposition, value: "attachment; filename=\"\(program.slug)-households.csv\"")
        headers.replaceOrAdd(name: .cacheControl, value: "no-store")
        let body = Response.Body(asyncStream: { writer in
            do {
                try await writer.writeBuffer(ByteBuffer(string: Self.line(Self.header)))
                var after: UUID?
                while true {
                    let rows = try await Self.rows(sql, programID: programID, statuses: statuses, after: after)
                    guard !rows.isEmpty else { break }
                    var text = ""
                    for row in rows { text += Self.line(Self.cells(row)) }
                    try await writer.writeBuffer(ByteBuffer(string: text))
                    after = rows.last?.enrollment_id
                    if rows.count < Self.chunk { break }
                }
                try await writer.write(.end)
            } catch {
                // The status line is sent already: the file ends short, and the log says why.
                logger.error("program export stopped: \(String(reflecting: type(of: error)))")
                try? await writer.write(.error(error))
            }
        })
        return Response(status: .ok, headers: headers, body: body)
    }

    static func rows(
        _ sql: any SQLDatabase, programID: UUID, statuses: [EnrollmentStatus], after: UUID?, limit: Int = chunk
    ) async throws
        -> [Exported]
    {
        var query = SQLQueryString(
            """
            SELECT e.id AS enrollment_id, e.status, e.applied_at, e.enrolled_at, e.expires_at, e.decline_reason,
                   u.first_name, u.last_name, u.email, u.phone, u.language, a.reference, a.verified_at,
                   ad.street, ad.unit, ad.city, ad.state, ad.zip
            """)
        // By enrollment id: a key that is exact on both engines (SQLite rounds dates it reads back).
        ProgramListController.appendFrom(
            to: &query, programID: programID, statuses: statuses, after: after, order: "e.id", limit: limit, joinMailingAddress: true)
        query.appendInterpolation(unsafeRaw: " ORDER BY e.id")
        return try await sql.raw(query).all(decoding: Exported.self)
    }

    static func cells(_ row: Exported) -> [String] {
        [
            row.reference ?? "", row.first_name, row.last_name, row.email, ContactRules.displayPhone(row.phone), row.language,
            row.street ?? "", row.unit ?? "", row.city ?? "", row.state ?? "", row.zip ?? "", day(row.applied_at),
            row.verified_at.map(day) ?? "", row.status, row.enrolled_at.map(day) ?? "", row.expires_at.map(day) ?? "",
            row.decline_reason ?? "",
        ]
    }

    /// The city's calendar, made once (an export formats up to 400,000 dates).
    private static let cityCalendar: Calendar = {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = Request.cityTimeZone
        return calendar
    }()

    /// A date as the city's calendar day, `2027-03-15`.
    static func day(_ date: Date) -> String {
        let parts = cityCalendar.dateComponents([.year, .month, .day], from: date)
        func padded(_ number: Int, _ width: Int) -> String {
            let digits = String(number)
            return String(repeating: "0", count: max(0, width - digits.count)) + digits
        }
        return padded(parts.year ?? 0, 4) + "-" + padded(parts.month ?? 0, 2) + "-" + padded(parts.day ?? 0, 2)
    }

    /// One CSV record: every cell quoted, quotes doubled, formulas neutralised.
    static func line(_ cells: [String]) -> String {
        var line = ""
        for (index, cell) in cells.enumerated() {
            if index > 0 { line += "," }
            line += "\""
            let safe = neutralise(cell)
            if safe.utf8.contains(UInt8(ascii: "\"")) {
                for character in safe { line += character == "\"" ? "\"\"" : String(character) }
            } else {
                line += safe
            }
            line += "\""
        }
        return line + "\r\n"
    }

    static func neutralise(_ cell: String) -> String {
        guard let first = cell.first, ["=", "+", "-", "@", "\t", "\r"].contains(first) else { return cell }
        return "'" + cell
    }
}
