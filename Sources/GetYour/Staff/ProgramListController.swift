import Eligibility
import Fluent
import SQLKit
import Vapor

/// `/staff/programs/{slug}` (P7, issue 11): the verified households that applied to one benefit
/// program, by status (applied, enrolled, declined) with counts, 50 a page, oldest application
/// first; the coordinator enrolls or declines one household or many, and downloads the list as
/// CSV. The list itself is two SQL statements (the counts and the page) whatever the number of
/// rows.
struct ProgramListController {
    static let pageSize = 50
    static let tabs: [EnrollmentStatus] = [.applied, .enrolled, .declined, .expired]

    struct DecisionForm: Content {
        var households: [String]?
        var decision: String?
        var reason: String?
    }

    struct Row: Encodable {
        let householdID: String
        let fieldID: String
        let name: String
        let reference: String
        let verifiedOn: String
        let appliedOn: String
        let expiresOn: String?
        let declineReason: String?
        let checked: Bool
        let problem: String?
        let householdURL: String?
    }

    struct Page: Encodable {
        let layout: LayoutContext
        let summary: ErrorSummary
        let notice: String?
        let programName: String
        let status: String
        let tabs: [StaffQueueController.Tab]
        let rows: [Row]
        let hasRows: Bool
        let decidable: Bool
        let decisionsURL: String
        let exportURL: String
        let reason: FormField
        /// What is wrong with the choice of households, shown above the list.
        let householdsError: String?
        /// Each household the last decision could not be taken for, with why.
        let problems: [String]
        let hasProblems: Bool
        let pageNumber: Int
        let previousURL: String?
        let nextURL: String?
    }

    /// One row of the list (and of the export).
    struct Listed: Decodable {
        let household_id: UUID
        let enrollment_id: UUID
        let status: String
        let applied_at: Date
        let expires_at: Date?
        let decline_reason: String?
        let first_name: String
        let last_name: String
        let reference: String?
        let verified_at: Date?
    }

    func show(_ request: Request) async throws -> Response {
        let program = try await ProgramAccess.program(request)
        let notice = (try? request.query.get(String.self, at: "done")).flatMap {
            ["enrolled", "declined"].contains($0) ? "program_list.done.\($0)" : nil
        }
        return try await render(request, program, FormErrors(), typed: DecisionForm(), problems: [:], notice: notice, status: .ok)
    }

    func decide(_ request: Request) async throws -> Response {
        let program = try await ProgramAccess.program(request)
        let form = try request.content.decode(DecisionForm.self)
        var errors = FormErrors()
        let ids = (form.households ?? []).compactMap { UUID(uuidString: $0) }
        let action = form.decision.flatMap(EnrollmentAction.init(rawValue:))
        let reason = form.reason?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
        if ids.isEmpty { errors.add("households", "program_list.error.none_chosen") }
        if action == nil { errors.add("decision", "program_list.error.decision") }
        if action == .decline, reason.isEmpty { errors.add("reason", "program_list.error.reason") }
        if reason.count > 2000 { errors.add("reason", "program_list.error.reason_long") }
        guard errors.isEmpty, let action else {
            return try await render(request, program, errors, typed: form, problems: [:], status: .unprocessableEntity)
        }
        do {
            try await ProgramDecisions(request: request).decide(
                action, program: program, households: Array(Set(ids)), reason: action == .decline ? reason : nil)
        } catch let refused as ProgramDecisions.Refused {
            var problems: [UUID: String] = [:]
            for problem in refused.problems { problems[problem.householdID] = "program_list.refused.\(problem.refusal.rawValue)" }
            errors.add("households", "program_list.error.refused", ["\(refused.problems.count)"])
            return try await render(request, program, errors, typed: form, problems: problems, status: .unprocessableEntity)
        }
        let status = (try? request.query.get(String.self, at: "status")) ?? "applied"
        let done = action == .enroll ? "enrolled" : "declined"
        return request.redirect(to: SiteURL.staffProgram.path(program.slug) + "?status=\(status)&done=\(done)", redirectType: .normal)
    }

    private func render(
        _ request: Request, _ program: BenefitProgram, _ errors: FormErrors, typed: DecisionForm, problems: [UUID: String],
        notice: String? = nil, status: HTTPResponseStatus
    ) async throws -> Response {
        let messages = request.application.messages, language = request.language
        let tab =
            (try? request.query.get(String.self, at: "status")).flatMap(EnrollmentStatus.init(rawValue:))
            .flatMap { Self.tabs.contains($0) ? $0 : nil } ?? .applied
        let pageNumber = max(1, min((try? request.query.get(Int.self, at: "page")) ?? 1, 10_000))
        let sql = request.db(.primary) as! any SQLDatabase
        let programID = try program.requireID()
        let counts = try await request.application.staffCounts.programs.counts(programID, now: request.application.clock.now()) {
            try await Self.counts(sql, programID: programID)
        }
        let listed = try await Self.rows(
            sql, programID: programID, statuses: [tab], limit: Self.pageSize + 1, offset: (pageNumber - 1) * Self.pageSize)
        try await request.audit(.programListViewed, .init(program: program.slug))
        let formatter = request.longDateFormatter
        let chosen = Set(typed.households ?? [])
        let mayOpenHousehold = try request.currentUser.role == .admin
        let base = SiteURL.staffProgram.path(program.slug)
        let rows = listed.prefix(Self.pageSize).map { row in
            let id = row.household_id.uuidString.lowercased()
            return Row(
                householdID: id, fieldID: "household-" + id, name: "\(row.first_name) \(row.last_name)", reference: row.reference ?? "—",
                verifiedOn: row.verified_at.map(formatter.string(from:)) ?? "—", appliedOn: formatter.string(from: row.applied_at),
                expiresOn: row.expires_at.map(formatter.string(from:)), declineReason: row.decline_reason,
                checked: chosen.contains(id) || chosen.contains(row.household_id.uuidString),
                problem: problems[row.household_id].map { messages.text($0, language) },
                householdURL: mayOpenHousehold ? SiteURL.staffHousehold.path(id) : nil)
        }
        var problemLines: [String] = []
        if !problems.isEmpty {
            let households = try await Household.query(on: request.db(.primary)).filter(\.$id ~~ Array(problems.keys)).with(\.$user).all()
            for household in households {
                guard let id = household.id, let key = problems[id] else { continue }
                problemLines.append("\(household.user.firstName) \(household.user.lastName): \(messages.text(key, language))")
            }
            if problemLines.count < problems.count {
                problemLines.append(messages.text("program_list.refused.unknown", language, ["\(problems.count - problemLines.count)"]))
            }
        }
        let m = errors.resolved(request)
        let page = Page(
            layout: request.layout(titleKey: "program_list.title", hasErrors: !errors.isEmpty),
            summary: ErrorSummary(request, errors), notice: notice, programName: program.name(language), status: tab.rawValue,
            tabs: Self.tabs.map { status in
                StaffQueueController.Tab(
                    labelKey: "program_list.tab.\(status.rawValue)", count: counts[status] ?? 0, url: base + "?status=\(status.rawValue)",
                    current: status == tab)
            },
            rows: Array(rows), hasRows: !rows.isEmpty, decidable: tab == .applied,
            decisionsURL: SiteURL.staffProgramDecisions.path(program.slug) + "?status=\(tab.rawValue)",
            exportURL: SiteURL.staffProgramExport.path(program.slug),
            reason: .textarea("reason", label: "program_list.reason", hint: "program_list.reason_hint", value: typed.reason, errors: m),
            householdsError: m["households"],
            problems: problemLines.sorted(), hasProblems: !problemLines.isEmpty,
            pageNumber: pageNumber,
            previousURL: pageNumber > 1 ? base + "?status=\(tab.rawValue)&page=\(pageNumber - 1)" : nil,
            nextURL: listed.count > Self.pageSize ? base + "?status=\(tab.rawValue)&page=\(pageNumber + 1)" : nil)
        return try await request.view.render("staff/program", page).response(status, for: request)
    }

    /// How many verified households are in each status.
    static func counts(_ sql: any SQLDatabase, programID: UUID) async throws -> [EnrollmentStatus: Int] {
        let rows = try await sql.raw(
            """
            SELECT e.status, count(*) AS n FROM enrollments e
            WHERE e.program_id = \(bind: programID)
              AND EXISTS (SELECT 1 FROM applications a WHERE a.household_id = e.household_id AND a.status = 'verified')
            GROUP BY e.status
            """
        ).all()
        var counts: [EnrollmentStatus: Int] = [:]
        for row in rows {
            if let status = EnrollmentStatus(rawValue: try row.decode(column: "status", as: String.self)) {
                counts[status] = try row.decode(column: "n", as: Int.self)
            }
        }
        return counts
    }

    /// One page of the list: the household's most recent verified application gives the
    /// reference and the verification date.
    static func rows(_ sql: any SQLDatabase, programID: UUID, statuses: [EnrollmentStatus], limit: Int, offset: Int) async throws
        -> [Listed]
    {
        var query = SQLQueryString(
            """
            SELECT e.household_id, e.id AS enrollment_id, e.status, e.applied_at, e.expires_at, e.decline_reason,
                   u.first_name, u.last_name, a.reference, a.verified_at
            """)
        appendFrom(
            to: &query, programID: programID, statuses: statuses, order: "e.applied_at, e.id", limit: limit, offset: offset)
        query.appendInterpolation(unsafeRaw: " ORDER BY e.applied_at, e.id")
        return try await sql.raw(query).all(decoding: Listed.self)
    }

    /// The households a program's list holds: verified, in one of `statuses`, each with its
    /// most recent verified application as `a`, its account as `u`. The enrollments are
    /// chosen, ordered and cut to one page first (`after`, `order`, `limit`, `offset`) along
    /// the `enrollments_program_list` index, and only that page is joined: with 100,000
    /// households the planner otherwise joins them all before sorting.
    static func appendFrom(
        to query: inout SQLQueryString, programID: UUID, statuses: [EnrollmentStatus], after: UUID? = nil, order: String, limit: Int,
        offset: Int = 0, joinMailingAddress: Bool = false
    ) {
        query.appendInterpolation(unsafeRaw: " FROM (SELECT * FROM enrollments e WHERE e.program_id = ")
        query.appendInterpolation(bind: programID)
        query.appendInterpolation(unsafeRaw: " AND e.status IN (")
        for (index, status) in statuses.enumerated() {
            if index > 0 { query.appendInterpolation(unsafeRaw: ", ") }
            query.appendInterpolation(bind: status.rawValue)
        }
        query.appendInterpolation(unsafeRaw: ")")
        if let after {
            query.appendInterpolation(unsafeRaw: " AND e.id > ")
            query.appendInterpolation(bind: after)
        }
        query.appendInterpolation(
            unsafeRaw: """
                 AND EXISTS (SELECT 1 FROM applications v WHERE v.household_id = e.household_id AND v.status = 'verified')
                 ORDER BY \(order) LIMIT \(limit) OFFSET \(offset)) e
                JOIN households h ON h.id = e.household_id
                JOIN users u ON u.id = h.user_id
                JOIN applications a ON a.id = (SELECT a2.id FROM applications a2
                    WHERE a2.household_id = e.household_id AND a2.status = 'verified' ORDER BY a2.verified_at DESC LIMIT 1)
                """)
        if joinMailingAddress {
            query.appendInterpolation(
                unsafeRaw: " LEFT JOIN addresses ad ON ad.id = COALESCE(a.mailing_address_id, a.eligibility_address_id)")
        }
    }
}
