import Fluent
import Testing
import Vapor
import VaporTesting

@testable import GetYour

extension Browser {
    /// A submitted application at `street` with the given eligibility programs.
    func submitApplication(
        email: String = "maria.lopez@example.com", programs: [String] = ["snap"],
        address: [(String, String)]? = nil
    ) async throws {
        try await applyUpToReview(email: email, programs: programs)
        if let address {
            try await get("/apply/address?return=review")
            let response = try await post("/apply/address", address + [("mailing_same", "yes"), ("return_to", "review")])
            #expect(response.headers.first(name: .location) == "/apply/review", "address \(address) was not accepted as typed")
        }
        try await get("/apply/review")
        let submitted = try await post("/apply/submit", [("declaration", "yes")])
        #expect(submitted.headers.first(name: .location) == "/apply/submitted")
    }

    /// The program names listed under a dashboard heading.
    func dashboardSection(_ heading: String) async throws -> [String] {
        let page = try await get("/dashboard").text
        guard let start = page.range(of: ">\(heading)</h2>") else { return [] }
        let section = page[start.upperBound...].prefix { _ in true }
        let end = section.range(of: "</section>")?.lowerBound ?? section.endIndex
        return section[..<end].matches(of: try Regex("<h3>([^<]+)</h3>")).map { String($0.output[1].substring ?? "") }
    }
}

@Suite("Dashboard, eligibility and enrollments (P3 step 11, P4)")
struct DashboardTests {
    static let outOfArea: [(String, String)] = [
        ("street", "1200 County Road 54G"), ("unit", ""), ("city", "Laporte"), ("state", "CO"), ("zip", "80535"),
    ]

    @Test func aSNAPHouseholdSeesExactlyTheProgramsWhoseCeilingIsAtLeastItsLevel() async throws {
        try await TestApp.run { app in
            let browser = Browser(app)
            try await browser.submitApplication(programs: ["snap"])
            // SNAP is 30 % AMI: every program's ceiling (30, 40, 60, 60) is at least that.
            // Grocery and transit are auto-apply, so they are Applied already.
            #expect(try await browser.dashboardSection("Applied") == ["Grocery Tax Rebate", "Transit and e-scooter access"])
            #expect(try await browser.dashboardSection("You can apply") == ["Recreation Reduced Fee", "Discounted Internet"])
            #expect(try await browser.dashboardSection("Not available to your household") == [])
        }
    }

    @Test func aHigherIncomeLevelSeesOnlyProgramsUpToItsLevelWithTheReason() async throws {
        try await TestApp.run { app in
            let browser = Browser(app)
            try await browser.submitApplication(programs: ["leap"])  // 60 % AMI
            #expect(try await browser.dashboardSection("Applied") == ["Transit and e-scooter access"])
            #expect(try await browser.dashboardSection("You can apply") == ["Discounted Internet"])
            #expect(
                try await browser.dashboardSection("Not available to your household") == ["Grocery Tax Rebate", "Recreation Reduced Fee"])
            #expect(try await browser.get("/dashboard").text.contains("income level is above this program"))
        }
    }

    @Test func anOutOfAreaHouseholdSeesOnlyProgramsWithoutCoverageRequirements() async throws {
        try await TestApp.run { app in
            let browser = Browser(app)
            try await browser.submitApplication(programs: ["snap"], address: Self.outOfArea)
            #expect(try await browser.dashboardSection("Applied") == ["Transit and e-scooter access"])
            #expect(try await browser.dashboardSection("You can apply") == [])
            #expect(
                try await browser.dashboardSection("Not available to your household") == [
                    "Grocery Tax Rebate", "Recreation Reduced Fee", "Discounted Internet",
                ])
            #expect(try await browser.get("/dashboard").text.contains("outside the area this program serves"))
        }
    }

    @Test func applyingTwiceCreatesOneEnrollment() async throws {
        try await TestApp.run { app in
            let browser = Browser(app)
            try await browser.submitApplication(programs: ["snap"])
            try await browser.get("/dashboard")
            let first = try await browser.post("/dashboard/programs/recreation/apply")
            let second = try await browser.post("/dashboard/programs/recreation/apply")
            #expect(first.headers.first(name: .location) == "/dashboard?notice=applied")
            #expect(second.status == .seeOther)
            let program = try #require(try await BenefitProgram.query(on: app.db(.primary)).filter(\.$slug == "recreation").first())
            #expect(try await Enrollment.query(on: app.db(.primary)).filter(\.$program.$id == program.id!).count() == 1)
            #expect(try await browser.dashboardSection("Applied").contains("Recreation Reduced Fee"))
        }
    }

    @Test func aCraftedApplyToAnIneligibleProgramIsRefused() async throws {
        try await TestApp.run { app in
            let browser = Browser(app)
            try await browser.submitApplication(programs: ["leap"])
            try await browser.get("/dashboard")
            let response = try await browser.post("/dashboard/programs/grocery/apply")
            #expect(response.status == .unprocessableEntity)
            #expect(response.text.contains("You cannot apply to Grocery Tax Rebate"))
            let program = try #require(try await BenefitProgram.query(on: app.db(.primary)).filter(\.$slug == "grocery").first())
            #expect(try await Enrollment.query(on: app.db(.primary)).filter(\.$program.$id == program.id!).count() == 0)
            #expect(try await browser.post("/dashboard/programs/lottery/apply").status == .notFound)
        }
    }

    @Test func applyingBeforeSubmittingIsExplained() async throws {
        try await TestApp.run { app in
            let browser = Browser(app)
            try await browser.signUp()
            let page = try await browser.get("/dashboard")
            #expect(page.text.contains("You have not started your application yet"))
            let response = try await browser.post("/dashboard/programs/transit/apply")
            #expect(response.status == .unprocessableEntity)
            #expect(response.text.contains("Finish and submit your application"))
            #expect(try await Enrollment.query(on: app.db(.primary)).count() == 0)
        }
    }

    @Test func anEnrolledProgramShowsWithItsExpiryDate() async throws {
        try await TestApp.run { app in
            let browser = Browser(app)
            try await browser.submitApplication(programs: ["snap"])
            let grocery = try #require(try await BenefitProgram.query(on: app.db(.primary)).filter(\.$slug == "grocery").first())
            let enrollment = try #require(try await Enrollment.query(on: app.db(.primary)).filter(\.$program.$id == grocery.id!).first())
            enrollment.status = .enrolled
            enrollment.enrolledAt = Date()
            enrollment.expiresAt =
                DateComponents(
                    calendar: Calendar(identifier: .gregorian), timeZone: TimeZone(identifier: "America/Denver"),
                    year: 2027, month: 11, day: 30, hour: 12
                ).date
            try await enrollment.save(on: app.db(.primary))
            #expect(try await browser.dashboardSection("Enrolled") == ["Grocery Tax Rebate"])
            #expect(try await browser.get("/dashboard").text.contains("Enrolled until November 30, 2027."))
            #expect(try await browser.get("/dashboard?lang=es").text.contains("Inscrito hasta el 30 de noviembre de 2027."))
        }
    }

    @Test func theFirstVisitExplainsAndLaterVisitsDoNot() async throws {
        try await TestApp.run { app in
            let browser = Browser(app)
            try await browser.submitApplication()
            #expect(try await browser.get("/dashboard").text.contains("Welcome to your dashboard"))
            #expect(!(try await browser.get("/dashboard").text.contains("Welcome to your dashboard")))
        }
    }

    @Test func theStatusShowsStaffMessagesAndVerifiedHouseholdsGetProof() async throws {
        try await TestApp.run { app in
            let browser = Browser(app)
            try await browser.submitApplication()
            #expect(try await browser.get("/dashboard/proof").status == .notFound)
            let application = try #require(try await ApplicationRecord.query(on: app.db(.primary)).first())
            application.status = .needsInfo
            application.statusMessage = "Please upload the back of your ID."
            try await application.save(on: app.db(.primary))
            let needsInfo = try await browser.get("/dashboard").text
            #expect(needsInfo.contains("We need more information from you") && needsInfo.contains("Please upload the back of your ID."))
            application.status = .verified
            application.verifiedAt = Date()
            try await application.save(on: app.db(.primary))
            let proof = try await browser.get("/dashboard/proof")
            #expect(proof.status == .ok)
            #expect(proof.text.contains("The household of Maria Lopez was verified"))
            #expect(proof.text.contains(application.reference ?? "missing"))
            #expect(!proof.text.contains("<img"))
            // The proof names the applicant staff verified, whatever the account is renamed to.
            try await browser.get("/settings")
            try await browser.post(
                "/settings/profile", [("first_name", "Someone"), ("last_name", "Else"), ("phone", "(970) 555-0142"), ("language", "en")])
            let after = try await browser.get("/dashboard/proof").text
            #expect(after.contains("The household of Maria Lopez was verified"))
            #expect(!after.contains("Someone Else"))
        }
    }
}

@Suite("Anonymous feedback never fails (P3 step 11)")
struct FeedbackTests {
    @Test(arguments: [
        ([("rating", "9")], "Choose a rating from 1 to 5"),
        ([("rating", "three")], "Choose a rating from 1 to 5"),
        ([("comment", String(repeating: "x", count: 501))], "Write at most 500 characters"),
        ([(String, String)](), "Choose a rating or write a comment"),
    ])
    func badFeedbackIsExplainedNot500(form: [(String, String)], message: String) async throws {
        try await TestApp.run { app in
            let browser = Browser(app)
            try await browser.submitApplication()
            try await browser.get("/dashboard")
            let response = try await browser.post("/feedback", form)
            #expect(response.status == .unprocessableEntity)
            #expect(response.text.contains(message))
            if let comment = form.first(where: { $0.0 == "comment" }) { #expect(response.text.contains(comment.1)) }
            #expect(try await Feedback.query(on: app.db(.primary)).count() == 0)
        }
    }

    @Test func goodFeedbackIsStoredWithoutAnyLinkToThePerson() async throws {
        try await TestApp.run { app in
            let browser = Browser(app)
            try await browser.submitApplication()
            try await browser.get("/dashboard")
            let response = try await browser.post("/feedback", [("rating", "4"), ("comment", "Quick and clear")])
            #expect(response.headers.first(name: .location) == "/dashboard?notice=feedback")
            let entry = try #require(try await Feedback.query(on: app.db(.primary)).first())
            #expect(entry.rating == 4 && entry.comment == "Quick and clear")
            #expect(try await browser.get("/feedback").status == .methodNotAllowed)
        }
    }
}
