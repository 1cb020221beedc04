import Eligibility
import Fluent
import Foundation
import SQLKit
import Testing
import Vapor
import VaporTesting

@testable import GetYour

/// A verified household enrolled in some programs, with the browsers to act on it.
struct RenewalScene {
    let app: Application
    let program: ProgramScene
    let resident: Browser
    let household: UUID
    let email: String

    /// Verified with SNAP (30 %), applied to `programs` from the dashboard (grocery and transit
    /// are applied automatically), then enrolled in `enroll` by their coordinator.
    static func make(
        _ app: Application, email: String = "maria.lopez@example.com", apply: [String] = ["recreation"],
        enroll: [String] = ["recreation"]
    ) async throws -> RenewalScene {
        let scene = try await ProgramScene.make(app)
        let (resident, household) = try await scene.household(email, program: apply.first ?? "recreation")
        for slug in apply.dropFirst() {
            try await resident.get("/dashboard")
            #expect(try await resident.post("/dashboard/programs/\(slug)/apply").status == .seeOther)
        }
        if !enroll.isEmpty {
            let coordinator = try await scene.coordinator(
                "coordinator.\(UUID().uuidString.prefix(6).lowercased())@city.example", programs: enroll)
            for slug in enroll {
                try await coordinator.get("/staff/programs/\(slug)")
                let done = try await coordinator.post(
                    "/staff/programs/\(slug)/decisions", [("households", household.uuidString), ("decision", "enroll")])
                #expect(done.status == .seeOther, "enroll in \(slug)")
            }
        }
        return RenewalScene(app: app, program: scene, resident: resident, household: household, email: email)
    }

    func enrollment(_ slug: String) async throws -> Enrollment {
        try await program.enrollment(household, slug)
    }

    /// Starts a renewal from the dashboard and answers "what has changed".
    func startRenewal(changed: [String]) async throws -> TestingHTTPResponse {
        try await resident.get("/dashboard")
        let started = try await resident.post("/renew")
        #expect(started.headers.first(name: .location) == "/apply/changes")
        try await resident.get("/apply/changes")
        return try await resident.post("/apply/changes", changed.map { ("changed", $0) })
    }

    /// From the documents step of a renewal: finish, review and submit.
    func submitRenewal() async throws {
        try await resident.get("/apply/documents")
        #expect(try await resident.post("/apply/documents").headers.first(name: .location) == "/apply/review")
        try await resident.get("/apply/review")
        let submitted = try await resident.post("/apply/submit", [("declaration", "yes")])
        #expect(submitted.headers.first(name: .location) == "/apply/submitted")
    }

    func renewal() async throws -> ApplicationRecord {
        try #require(
            try await ApplicationRecord.query(on: app.db(.primary)).filter(\.$household.$id == household)
                .filter(\.$kind == .renewal).first())
    }

    /// Staff verify the renewal (a verifier signed in now: sessions may have timed out).
    func verifyRenewal() async throws -> TestingHTTPResponse {
        let email = "verifier.\(UUID().uuidString.prefix(6).lowercased())@city.example"
        try await makeStaff(app, role: .verifier, email: email)
        let staff = Browser(app)
        try await staff.signInStaff(email: email)
        let page = try await staff.get("/staff/households/\(household.uuidString.lowercased())")
        #expect(page.text.contains("What this renewal changes"))
        return try await staff.decide("/staff/applications/\(try await renewal().requireID().uuidString.lowercased())/verify")
    }
}

@Suite("Renewal (P11, issue 12)")
struct RenewalTests {
    /// Everything staff verified about a household, as text, to compare before and after.
    func verifiedState(_ app: Application, _ household: UUID) async throws -> [String] {
        let db = app.db(.primary)
        let applications = try await ApplicationRecord.query(on: db).filter(\.$household.$id == household)
            .filter(\.$kind == .initial).all()
        var state = applications.map {
            "\($0.id!) \($0.status) \($0.verifiedAt!) \($0.$eligibilityAddress.id!) \($0.$mailingAddress.id!) \($0.rentOwn!) \($0.duration!) \($0.revision)"
        }
        for application in applications {
            state += try await HouseholdMember.query(on: db).filter(\.$application.$id == application.requireID()).sort(\.$id).all()
                .map { "\($0.id!) \($0.fullName) \($0.birthdate)" }
            state += try await Document.query(on: db).filter(\.$application.$id == application.requireID()).sort(\.$id).all()
                .map { "\($0.id!) \($0.reviewState) \($0.storageKey)" }
            state += try await ApplicationEligibilityProgram.query(on: db).filter(\.$application.$id == application.requireID())
                .sort(\.$id).all().map { "\($0.$program.id)" }
        }
        state += try await Enrollment.query(on: db).filter(\.$household.$id == household).sort(\.$id).all()
            .map { "\($0.id!) \($0.status) \(String(describing: $0.expiresAt)) \(String(describing: $0.enrolledAt))" }
        return state
    }

    @Test func aRenewalLeftHalfDoneForMonthsChangesNothingVerified() async throws {
        try await TestApp.run { app in
            let scene = try await RenewalScene.make(app)
            let before = try await verifiedState(app, scene.household)
            let dashboard = try await scene.resident.get("/dashboard")
            #expect(dashboard.text.contains("Renew my application"))
            #expect(dashboard.text.contains("you can renew now"))

            let moved = try await scene.startRenewal(changed: ["address", "members"])
            #expect(moved.headers.first(name: .location) == "/apply/address")
            // Prefilled: the review already lists everyone from the verified application.
            #expect(try await scene.resident.get("/apply/review").text.contains("Leo Lopez"))
            try await scene.resident.get("/apply/address")
            let address = try await scene.resident.post(
                "/apply/address",
                [
                    ("street", "4821 Aspen Ridge Dr"), ("unit", ""), ("city", "Fort Collins"), ("state", "CO"), ("zip", "80528"),
                    ("mailing_same", "yes"),
                ])
            #expect(address.headers.first(name: .location) == "/apply/members")
            let leo = try #require(try await scene.resident.memberID(named: "Leo Lopez"))
            try await scene.resident.get("/apply/members/\(leo)")
            try await scene.resident.post("/apply/members/\(leo)/delete")
            let review = try await scene.resident.get("/apply/review").text
            #expect(review.contains("What changed since your last application"))
            #expect(review.contains("4821 Aspen Ridge Dr") && review.contains("300 Civic Center Dr"))

            // Months later, still a draft: the verified application, its files and the
            // enrollments are exactly as they were, and the dashboard still rests on them.
            app.clock.travel(by: 120 * 86_400)
            #expect(try await verifiedState(app, scene.household) == before)
            let resident = Browser(app)
            try await resident.signIn(email: scene.email, password: "amber kettle meadow stone")
            let later = try await resident.get("/dashboard").text
            #expect(later.contains("Continue your renewal"))
            #expect(later.contains("Enrolled until"))
            #expect(try await resident.get("/apply").headers.first(name: .location) == "/apply/review")
        }
    }

    @Test func aVerifiedRenewalKeepsWhatStillFitsEndsTheRestAndNeverTouchesLifetimePrograms() async throws {
        try await TestApp.run { app in
            let scene = try await RenewalScene.make(
                app, apply: ["recreation", "connexion"], enroll: ["recreation", "connexion", "grocery", "transit"])
            let transitBefore = try await scene.enrollment("transit")
            #expect(transitBefore.status == .enrolled && transitBefore.expiresAt == nil)
            app.clock.travel(by: 300 * 86_400)
            let resident = Browser(app)
            try await resident.signIn(email: scene.email, password: "amber kettle meadow stone")
            let renewing = RenewalScene(
                app: app, program: scene.program, resident: resident, household: scene.household, email: scene.email)
            // The household's income level rises: LEAP (60 %) instead of SNAP (30 %).
            let start = try await renewing.startRenewal(changed: ["programs"])
            #expect(start.headers.first(name: .location) == "/apply/programs")
            try await resident.get("/apply/programs")
            #expect(try await resident.post("/apply/programs", [("programs", "leap")]).headers.first(name: .location) == "/apply/documents")
            try await resident.get("/apply/documents")
            let documents = try await resident.get("/apply/documents").text
            #expect(documents.contains("Accepted with your last application"))
            #expect(
                try await resident.upload(item: "program-leap", files: [("leap.pdf", try Fixture.bytes("benefit-letter.pdf"))]).status
                    == .seeOther)
            try await renewing.submitRenewal()

            // Under review: nothing verified moves.
            #expect(try await scene.enrollment("recreation").status == .enrolled)
            _ = try await app.sentMail()  // the renewal's welcome, delivered first
            let verified = try await renewing.verifyRenewal()
            #expect(verified.status == .seeOther)

            let now = app.clock.now()
            let expected = RenewalDates(timeZone: Request.cityTimeZone).expiry(verifiedAt: now, renewalYears: 1)
            let connexion = try await scene.enrollment("connexion")
            #expect(connexion.status == .enrolled && connexion.expiresAt == expected)
            for slug in ["recreation", "grocery"] {
                let ended = try await scene.enrollment(slug)
                #expect(ended.status == .expired && ended.endReason == "income", "\(slug)")
            }
            let transit = try await scene.enrollment("transit")
            #expect(transit.status == .enrolled && transit.expiresAt == nil && transit.enrolledAt == transitBefore.enrolledAt)
            let mail = try await app.sentMail().last { $0.contains("Your Get-Your renewal is verified") }
            #expect(mail?.contains("You keep:\n- Discounted Internet") == true)
            #expect(mail?.contains("No longer available to your household") == true)
            let dashboard = try await resident.get("/dashboard").text
            #expect(
                dashboard.contains("It ended at your renewal: your household&#39;s income level is above this program&#39;s limit.")
                    || dashboard.contains("It ended at your renewal: your household's income level is above this program's limit."))
        }
    }

    @Test func aDeniedRenewalEndsNothingEarly() async throws {
        try await TestApp.run { app in
            let scene = try await RenewalScene.make(app)
            let before = try await scene.enrollment("recreation")
            #expect(try await scene.startRenewal(changed: ["none"]).headers.first(name: .location) == "/apply/documents")
            try await scene.submitRenewal()
            try await makeStaff(app, role: .verifier, email: "denier@city.example")
            let staff = Browser(app)
            try await staff.signInStaff(email: "denier@city.example")
            let page = try await staff.get("/staff/households/\(scene.household.uuidString.lowercased())")
            #expect(page.text.contains("The resident changed nothing since the last verified application."))
            let denied = try await staff.decide(
                "/staff/applications/\(try await scene.renewal().requireID().uuidString.lowercased())/deny",
                [("reason", "The letter is for another household.")])
            #expect(denied.status == .seeOther)
            let after = try await scene.enrollment("recreation")
            #expect(after.status == .enrolled && after.expiresAt == before.expiresAt)
        }
    }

    @Test func whatChangedIsCheckedAndOnlyVerifiedHouseholdsRenew() async throws {
        try await TestApp.run { app in
            let scene = try await RenewalScene.make(app, enroll: [])
            try await scene.resident.get("/dashboard")
            try await scene.resident.post("/renew")
            try await scene.resident.get("/apply/changes")
            let unknown = try await scene.resident.post("/apply/changes", [("changed", "income")])
            #expect(unknown.status == .unprocessableEntity && unknown.text.contains("Choose from the parts listed"))
            let both = try await scene.resident.post("/apply/changes", [("changed", "none"), ("changed", "address")])
            #expect(both.status == .unprocessableEntity && both.text.contains("not both"))
            #expect(both.text.contains("value=\"address\" id=\"field-changed\" checked"), "what was ticked stays ticked")
            // A second "Renew" while one is under way continues it instead of starting another.
            try await scene.resident.get("/dashboard")
            #expect(try await scene.resident.post("/renew").headers.first(name: .location) == "/apply")
            #expect(try await ApplicationRecord.query(on: app.db(.primary)).filter(\.$kind == .renewal).count() == 1)
            // Nothing ticked means nothing has changed (P13 lists only the four sections).
            try await scene.resident.get("/apply/changes")
            #expect(try await scene.resident.post("/apply/changes").headers.first(name: .location) == "/apply/documents")

            // A household whose application is still with staff has nothing to renew yet.
            let other = Browser(app)
            try await other.submitApplication(email: "not.verified@example.com")
            let dashboard = try await other.get("/dashboard")
            #expect(!dashboard.text.contains("Renew my application"))
            #expect(try await other.post("/renew").headers.first(name: .location) == "/apply")
            #expect(try await ApplicationRecord.query(on: app.db(.primary)).filter(\.$kind == .renewal).count() == 1)
        }
    }
}

@Suite("Renewals due and renewals started by staff (P11, issue 12)")
struct RenewalsDueTests {
    @Test func adminsSeeWhoIsDueAndStartARenewalForAHousehold() async throws {
        try await TestApp.run { app in
            let scene = try await RenewalScene.make(app)
            var admin = try await signedInAdmin(app)
            #expect(try await admin.get("/staff/renewals").text.contains("No household has a benefit ending in that time."))
            let bad = try await admin.get("/staff/renewals?days=400")
            #expect(bad.status == .unprocessableEntity && bad.text.contains("Enter a whole number of days from 1 to 365"))
            #expect(bad.text.contains("value=\"400\""))

            app.clock.travel(by: 320 * 86_400)
            try await makeStaff(app, role: .admin, email: "later.admin@city.example")
            admin = Browser(app)
            try await admin.signInStaff(email: "later.admin@city.example")
            let due = try await admin.get("/staff/renewals")
            #expect(due.text.contains("Maria Lopez") && due.text.contains("Not started"))
            let path = "/staff/households/\(scene.household.uuidString.lowercased())"
            #expect(try await admin.get(path).text.contains("Start a renewal for this household"))
            let started = try await admin.post("\(path)/renewal")
            #expect(started.headers.first(name: .location) == "\(path)?done=renewal_started")
            #expect(try await admin.get("/staff/renewals").text.contains("Started, not submitted"))
            #expect(try await AuditEvent.query(on: app.db(.primary)).filter(\.$action == "application.renewal_started").count() == 1)
            // A second start finds the one under way.
            try await admin.get(path)
            #expect(try await admin.post("\(path)/renewal").status == .conflict)
            let resident = Browser(app)
            try await resident.signIn(email: scene.email, password: "amber kettle meadow stone")
            #expect(try await resident.get("/dashboard").text.contains("Continue your renewal"))

            // Verifiers work applications, not this list.
            try await makeStaff(app, role: .verifier, email: "v@city.example")
            let verifier = Browser(app)
            try await verifier.signInStaff(email: "v@city.example")
            #expect(try await verifier.get("/staff/renewals").status == .forbidden)
        }
    }
}

@Suite("Renewal reminders and expiry (P11, issue 12)")
struct RenewalJobsTests {
    func reminders(_ app: Application) async throws -> [String] {
        try await app.sentMail().filter { $0.contains("Time to renew your Get-Your benefits") }
    }

    @Test func remindersGoOutAtSixtyThirtyAndSevenDaysEachOnceEvenWithTwoWorkers() async throws {
        try await TestApp.run { app in
            let scene = try await RenewalScene.make(app)
            _ = try await app.sentMail()  // what the application itself sent, delivered first
            let expiry = try #require(try await scene.enrollment("recreation").expiresAt)
            let calendar = RenewalDates(timeZone: Request.cityTimeZone).calendar
            func travel(toDaysBefore days: Int) {
                let target = calendar.date(byAdding: .day, value: -days, to: calendar.startOfDay(for: expiry))!.addingTimeInterval(
                    10 * 3600)
                app.clock.travel(by: target.timeIntervalSince(app.clock.now()))
            }
            travel(toDaysBefore: 61)
            #expect(try await RenewalJobs.run(app).reminders == 0)
            travel(toDaysBefore: 60)
            // Two workers at once, then a third run ("a restart"): one reminder.
            async let first = RenewalJobs.run(app)
            async let second = RenewalJobs.run(app)
            let total = try await first.reminders + second.reminders
            #expect(total == 1)
            #expect(try await RenewalJobs.run(app).reminders == 0)
            #expect(try await reminders(app).count == 1)
            let text = try #require(try await reminders(app).first)
            let formatter = DateFormatter()
            formatter.dateStyle = .long
            formatter.locale = Locale(identifier: "en_US")
            formatter.timeZone = Request.cityTimeZone
            #expect(text.contains(formatter.string(from: expiry)))
            travel(toDaysBefore: 30)
            #expect(try await RenewalJobs.run(app).reminders == 1)
            #expect(try await reminders(app).count == 2)
            travel(toDaysBefore: 7)
            #expect(try await RenewalJobs.run(app).reminders == 1)
            #expect(try await RenewalJobs.run(app).reminders == 0)
            #expect(try await reminders(app).count == 3)
            #expect(try await RenewalReminder.query(on: app.db(.primary)).all().map(\.daysBefore).sorted() == [7, 30, 60])
        }
    }

    @Test func noReminderOnceARenewalIsSubmitted() async throws {
        try await TestApp.run { app in
            let scene = try await RenewalScene.make(app)
            #expect(try await scene.startRenewal(changed: ["none"]).status == .seeOther)
            try await scene.submitRenewal()
            let expiry = try #require(try await scene.enrollment("recreation").expiresAt)
            app.clock.travel(by: expiry.timeIntervalSince(app.clock.now()) - 20 * 86_400)
            #expect(try await RenewalJobs.run(app).reminders == 0)
            // Nor does the enrollment expire while the renewal is with staff.
            app.clock.travel(by: 60 * 86_400)
            #expect(try await RenewalJobs.run(app).expired == 0)
            #expect(try await scene.enrollment("recreation").status == .enrolled)
        }
    }

    @Test func anEnrollmentExpiresOnlyAfterTheGracePeriodAndTheResidentIsTold() async throws {
        try await TestApp.run { app in
            let scene = try await RenewalScene.make(app)
            _ = try await app.sentMail()  // what the application itself sent, delivered first
            let expiry = try #require(try await scene.enrollment("recreation").expiresAt)
            app.clock.travel(by: expiry.timeIntervalSince(app.clock.now()) + 30 * 86_400)
            #expect(try await RenewalJobs.run(app).expired == 0)
            #expect(try await scene.enrollment("recreation").status == .enrolled)
            app.clock.travel(by: 86_400 + 60)
            #expect(try await JobsCommand.runOnce(app).renewal.expired == 1)
            let ended = try await scene.enrollment("recreation")
            #expect(ended.status == .expired && ended.endReason == "lapsed")
            #expect(try await app.sentMail().contains { $0.contains("Your Get-Your benefit has ended") })
            #expect(try await RenewalJobs.run(app).expired == 0)
            let audit = try await AuditEvent.query(on: app.db(.primary)).filter(\.$action == "enrollment.expired").all()
            #expect(audit.count == 1 && audit.first?.actorID == "system")
            // The coordinator sees it under Ended; the resident reads why and may renew.
            let coordinator = try await scene.program.coordinator("later.coordinator@city.example")
            #expect(try await coordinator.get("/staff/programs/recreation").text.contains("Ended <span class=\"count\">(1)</span>"))
            let resident = Browser(app)
            try await resident.signIn(email: scene.email, password: "amber kettle meadow stone")
            let dashboard = try await resident.get("/dashboard").text
            #expect(dashboard.contains("It ended because no renewal reached us in time."))
            #expect(dashboard.contains("Renew my application"))
            // A late renewal, once verified, puts the ended program back before the department.
            let late = RenewalScene(app: app, program: scene.program, resident: resident, household: scene.household, email: scene.email)
            #expect(try await late.startRenewal(changed: ["none"]).status == .seeOther)
            try await late.submitRenewal()
            #expect(try await late.verifyRenewal().status == .seeOther)
            let back = try await scene.enrollment("recreation")
            #expect(back.status == .applied && back.endReason == nil && back.expiresAt == nil)
        }
    }
}
