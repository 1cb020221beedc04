import Fluent
import Foundation
import Logging
import SQLKit
import Testing
import Vapor
import VaporTesting

@testable import GetYour

@Suite("Staff verification workspace (P7, issue 9)")
struct StaffWorkspaceTests {
    @Test func eachRoleIsAllowedOrRefusedOnTheServer() async throws {
        try await TestApp.run { app in
            let scene = try await StaffScene.make(app)
            // A resident is not told the pages exist.
            #expect(try await scene.resident.get(scene.householdURL).status == .notFound)
            #expect(try await scene.resident.post("\(scene.applicationPath)/verify", [("revision", "0")]).status == .notFound)
            // Signed out: to the sign-in page, and back afterwards.
            let anonymous = try await Browser(app).get(scene.householdURL)
            #expect(anonymous.headers.first(name: .location)?.hasPrefix("/login?next=/staff/households/") == true)
            // A coordinator may not verify.
            try await makeStaff(app, role: .coordinator, email: "coordinator@example.org")
            let coordinator = Browser(app)
            try await coordinator.signInStaff(email: "coordinator@example.org")
            #expect(try await coordinator.post("\(scene.applicationPath)/verify", [("revision", "0")]).status == .forbidden)
            #expect(try await coordinator.get(scene.householdURL).status == .forbidden)
            #expect(try await scene.reload(app).status == .submitted)
        }
    }

    @Test func theQueueListsWaitingApplicationsFiltersAndSearches() async throws {
        try await TestApp.run { app in
            let scene = try await StaffScene.make(app)
            try await Browser(app).submitApplication(email: "second.person@example.com")
            let queue = try await scene.staff.get("/staff")
            #expect(queue.status == .ok)
            #expect(queue.text.contains("Applications to check"))
            #expect(queue.text.contains(scene.application.reference ?? "missing"))
            #expect(queue.text.contains("To verify <span class=\"count\">(2)</span>"))
            #expect(queue.text.contains("First application"))
            let found = try await scene.staff.get("/staff?status=submitted&q=SECOND.person")
            #expect(found.text.contains("Maria Lopez"))  // both residents are "Maria Lopez"; one row
            #expect(found.text.components(separatedBy: "<th scope=\"row\">").count == 2)
            let none = try await scene.staff.get("/staff?status=submitted&q=nobody-like-this")
            #expect(none.text.contains("Nothing here right now"))
            // The search is audited, without the search text.
            let searches = try await AuditEvent.query(on: app.db(.primary)).filter(\.$action == "queue.searched").count()
            #expect(searches == 2)
        }
    }

    @Test func theHouseholdPageShowsEveryAnswerAndIsAudited() async throws {
        try await TestApp.run { app in
            let scene = try await StaffScene.make(app)
            let page = try await scene.staff.get(scene.householdURL)
            #expect(page.status == .ok)
            for text in [
                "maria.lopez@example.com", "(970) 555-0142", "300 Civic Center Dr", "Verified by the address service", "Leo Lopez",
                "1985-04-27", "SNAP", "Income level", "id.jpg", "letter.pdf", "not checked yet", "Verify this application",
            ] {
                #expect(page.text.contains(text), "missing \(text)")
            }
            #expect(page.text.contains("<img class=\"document-view\" src=\"/staff/documents/"))
            #expect(page.text.contains("<iframe class=\"document-view\" src=\"/staff/documents/"))
            let viewed = try await AuditEvent.query(on: app.db(.primary)).filter(\.$action == "household.viewed").all()
            #expect(viewed.count == 1)
            #expect(viewed.first?.householdID == scene.application.$household.id)
        }
    }

    @Test func theDocumentViewerServesTheFileSandboxedAndAuditsIt() async throws {
        try await TestApp.run { app in
            let scene = try await StaffScene.make(app)
            let document = try #require(try await Document.query(on: app.db(.primary)).filter(\.$mimeType == "image/jpeg").first())
            let file = try await scene.staff.get("/staff/documents/\(document.id!.uuidString)")
            #expect(file.status == .ok)
            #expect(file.headers.first(name: .contentType) == "image/jpeg")
            #expect(file.headers.first(name: "X-Content-Type-Options") == "nosniff")
            #expect(file.headers.first(name: "Content-Security-Policy")?.hasPrefix("sandbox") == true)
            #expect(file.headers.first(name: "Content-Security-Policy")?.contains("frame-ancestors 'self'") == true)
            #expect(file.headers.first(name: "X-Frame-Options") == "SAMEORIGIN")
            #expect(file.body.readableBytes == document.byteSize)
            #expect(try await AuditEvent.query(on: app.db(.primary)).filter(\.$action == "document.viewed").count() == 1)
            #expect(try await scene.resident.get("/staff/documents/\(document.id!.uuidString)").status == .notFound)
        }
    }

    @Test func requestInformationThenTheResidentAnswersAndItIsBackInTheQueue() async throws {
        try await TestApp.run { app in
            let scene = try await StaffScene.make(app)
            try await scene.staff.get(scene.householdURL)
            let memberItem = try #require(try await scene.resident.checklistItemsOfSubmitted(app).first { $0.hasPrefix("member-") })
            let empty = try await scene.staff.decide("\(scene.applicationPath)/request-info", [("message", "")])
            #expect(empty.status == .unprocessableEntity)
            #expect(empty.text.contains("Choose at least one thing that is missing"))
            #expect(empty.text.contains("Write a message to the resident"))
            let asked = try await scene.staff.decide(
                "\(scene.applicationPath)/request-info", [("items", memberItem), ("message", "Please upload the back of your ID card.")])
            #expect(asked.headers.first(name: .location) == scene.householdURL + "?done=requested")
            #expect(try await scene.reload(app).status == .needsInfo)

            // The resident sees it on the dashboard and answers on /apply/respond.
            let dashboard = try await scene.resident.get("/dashboard").text
            #expect(dashboard.contains("Please upload the back of your ID card."))
            #expect(dashboard.contains("Send what staff asked for"))
            let respond = try await scene.resident.get("/apply/respond")
            #expect(respond.text.contains("ID for Maria Lopez"))
            #expect(!respond.text.contains("Proof of"))
            // Only the requested item takes uploads; every other step stays closed.
            let programItem = try #require(try await scene.resident.checklistItemsOfSubmitted(app).first { $0.hasPrefix("program-") })
            #expect(
                try await scene.resident.upload(item: programItem, files: [("x.pdf", try Fixture.bytes("benefit-letter.pdf"))]).status
                    == .notFound)
            #expect(try await scene.resident.get("/apply/address").headers.first(name: .location) == "/apply/respond")
            #expect(try await scene.resident.get("/apply").headers.first(name: .location) == "/apply/respond")
            let uploaded = try await scene.resident.upload(item: memberItem, files: [("back.jpg", try Fixture.bytes("id-card.jpg"))])
            #expect(uploaded.headers.first(name: .location)?.hasPrefix("/apply/respond?uploaded=1") == true)
            try await scene.resident.get("/apply/respond")
            let sent = try await scene.resident.post("/apply/respond", [("message", "Here is the back.")])
            #expect(sent.headers.first(name: .location) == "/dashboard?notice=responded")
            let after = try await scene.reload(app)
            #expect(after.status == .submitted)
            #expect(after.answeredAt != nil)
            // Back at the top of the queue, marked answered and changed.
            let queue = try await scene.staff.get("/staff").text
            #expect(queue.contains("Answered"))
            #expect(queue.contains("Changed"))
            let household = try await scene.staff.get(scene.householdURL).text
            #expect(household.contains("The resident changed something since you last opened this household"))
            #expect(household.contains("Here is the back."))
            #expect(household.contains("back.jpg"))
        }
    }

    @Test func rejectingAndAcceptingDocumentsThenVerifying() async throws {
        try await TestApp.run { app in
            let scene = try await StaffScene.make(app)
            let documents = try await Document.query(on: app.db(.primary)).all()
            try await scene.staff.get(scene.householdURL)
            let first = try #require(documents.first)
            let noReason = try await scene.staff.decide("/staff/documents/\(first.id!.uuidString)/review", [("decision", "reject")])
            #expect(noReason.status == .unprocessableEntity)
            #expect(noReason.text.contains("Choose why the file is rejected"))
            let rejected = try await scene.staff.decide(
                "/staff/documents/\(first.id!.uuidString)/review",
                [("decision", "reject"), ("reason", "unreadable"), ("reason_detail", "Too blurry")])
            #expect(rejected.headers.first(name: .location) == scene.householdURL + "?done=rejected")
            // An item whose only file is rejected blocks verification.
            try await scene.staff.get(scene.householdURL)
            let blocked = try await scene.staff.decide("\(scene.applicationPath)/verify")
            #expect(blocked.status == .unprocessableEntity)
            #expect(blocked.text.contains("Every item needs at least one file that is not rejected"))
            #expect(try await scene.reload(app).status == .submitted)
            try await scene.staff.decide("/staff/documents/\(first.id!.uuidString)/review", [("decision", "accept")])
            try await scene.staff.get(scene.householdURL)
            let verified = try await scene.staff.decide("\(scene.applicationPath)/verify")
            #expect(verified.headers.first(name: .location) == scene.householdURL + "?done=verified")
            let application = try await scene.reload(app)
            #expect(application.status == .verified)
            #expect(application.verifiedBy != nil && application.verifiedAt != nil)
            #expect(try await Document.query(on: app.db(.primary)).all().allSatisfy { $0.reviewState == .accepted })
            // What the resident sees.
            #expect(try await scene.resident.get("/dashboard").text.contains("Verified: your documents have been checked"))
            #expect(try await scene.resident.get("/dashboard/proof").status == .ok)
        }
    }

    @Test func denyingNeedsAReasonTheResidentReads() async throws {
        try await TestApp.run { app in
            let scene = try await StaffScene.make(app)
            try await scene.staff.get(scene.householdURL)
            let empty = try await scene.staff.decide("\(scene.applicationPath)/deny", [("reason", " ")])
            #expect(empty.status == .unprocessableEntity)
            #expect(empty.text.contains("Write the reason the resident will read"))
            try await scene.staff.decide("\(scene.applicationPath)/deny", [("reason", "Your SNAP letter is from 2019.")])
            #expect(try await scene.reload(app).status == .denied)
            let dashboard = try await scene.resident.get("/dashboard").text
            #expect(dashboard.contains("Your application was not approved"))
            #expect(dashboard.contains("Your SNAP letter is from 2019."))
            // A decided application takes no further decision.
            try await scene.staff.get(scene.householdURL)
            let again = try await scene.staff.post(
                "\(scene.applicationPath)/verify", [("revision", "\(try await scene.reload(app).revision)")])
            #expect(again.status == .unprocessableEntity)
        }
    }

    @Test func aDecisionOnAStalePageIsRefused() async throws {
        try await TestApp.run { app in
            let scene = try await StaffScene.make(app)
            try await scene.staff.get(scene.householdURL)
            let oldRevision = try #require(scene.staff.revision)
            // Meanwhile a colleague accepts a file (the application changes).
            try await makeStaff(app, role: .admin, email: "colleague@example.org")
            let colleague = Browser(app)
            try await colleague.signInStaff(email: "colleague@example.org")
            try await colleague.get(scene.householdURL)
            let document = try #require(try await Document.query(on: app.db(.primary)).first())
            try await colleague.decide("/staff/documents/\(document.id!.uuidString)/review", [("decision", "accept")])
            let stale = try await scene.staff.post("\(scene.applicationPath)/deny", [("reason", "Looks wrong"), ("revision", oldRevision)])
            #expect(stale.status == .conflict)
            #expect(stale.text.contains("The application changed since you opened this page"))
            #expect(stale.text.contains("Looks wrong"))  // what was typed is kept
            #expect(try await scene.reload(app).status == .submitted)
        }
    }

    @Test func notesAreInternalAndAudited() async throws {
        try await TestApp.run { app in
            let scene = try await StaffScene.make(app)
            try await scene.staff.get(scene.householdURL)
            try await scene.staff.post(
                "/staff/households/\(scene.application.$household.id.uuidString)/notes", [("body", "Called, left a voicemail.")])
            #expect(try await scene.staff.get(scene.householdURL).text.contains("Called, left a voicemail."))
            #expect(!(try await scene.resident.get("/dashboard").text.contains("voicemail")))
            #expect(try await AuditEvent.query(on: app.db(.primary)).filter(\.$action == "household.note_added").count() == 1)
        }
    }

    @Test func theAuditTrailHoldsNoPersonalData() async throws {
        try await TestApp.run { app in
            let resident = Browser(app)
            try await resident.submitApplication(email: "zebulon.canary@example.com")
            try await User.query(on: app.db(.primary)).filter(\.$email == "zebulon.canary@example.com")
                .set(\.$firstName, to: "Zebulonmarker").update()
            try await makeStaff(app, role: .admin)
            let staff = Browser(app)
            try await staff.signInStaff()
            let application = try #require(try await ApplicationRecord.query(on: app.db(.primary)).filter(\.$status == .submitted).first())
            let household = "/staff/households/\(application.$household.id.uuidString)"
            try await staff.get("/staff?q=Zebulonmarker")
            try await staff.get(household)
            try await staff.post("\(household)/notes", [("body", "Notemarker text")])
            try await staff.get(household)
            try await staff.decide(
                "/staff/applications/\(application.id!.uuidString)/request-info", [("items", "other"), ("message", "Messagemarker please")])
            for document in try await Document.query(on: app.db(.primary)).all() {
                try await staff.get("/staff/documents/\(document.id!.uuidString)")
            }
            let rows = try await (app.db(.primary) as! any SQLDatabase).raw("SELECT * FROM audit_events").all()
            #expect(rows.count >= 6)
            for row in rows {
                for column in row.allColumns {
                    let value = (try? row.decode(column: column, as: String?.self)) ?? nil
                    for marker in ["Zebulonmarker", "zebulon", "canary", "Notemarker", "Messagemarker", "Civic", "id.jpg", "letter.pdf"] {
                        #expect(value?.localizedCaseInsensitiveContains(marker) != true, "\(column) holds \(marker)")
                    }
                }
            }
        }
    }

    @Test func theQueueRunsTheSameNumberOfStatementsForFewOrManyRows() async throws {
        try await TestApp.run { app in
            try await makeStaff(app, role: .verifier)
            let staff = Browser(app)
            try await staff.signInStaff()
            let counter = StatementCounter()
            func statements() async throws -> Int {
                let saved = app.logger
                app.logger = Logger(label: "count") { _ in counter }
                defer { app.logger = saved }
                counter.reset()
                app.staffCounts.invalidate()  // measure the uncached page: counts and rows
                #expect(try await staff.get("/staff").status == .ok)
                return counter.statements
            }
            try await SyntheticHouseholds.create(3, on: app.db(.primary))
            let few = try await statements()
            try await SyntheticHouseholds.create(60, on: app.db(.primary))
            let many = try await statements()
            #expect(few > 0)
            #expect(few == many, "\(few) statements for 3 rows, \(many) for 63")
        }
    }

    @Test func theHouseholdPageRunsAFixedNumberOfStatements() async throws {
        try await TestApp.run { app in
            let scene = try await StaffScene.make(app)
            let counter = StatementCounter()
            func statements() async throws -> Int {
                let saved = app.logger
                app.logger = Logger(label: "count") { _ in counter }
                defer { app.logger = saved }
                counter.reset()
                #expect(try await scene.staff.get(scene.householdURL).status == .ok)
                return counter.statements
            }
            let before = try await statements()
            // More files, notes and members' worth of rows: the same statements.
            let item = try #require(try await scene.resident.checklistItemsOfSubmitted(app).first)
            try await scene.staff.post(
                "\(scene.applicationPath)/request-info",
                [("items", item), ("message", "More please"), ("revision", scene.staff.revision ?? "")])
            for index in 0..<4 {
                try await scene.resident.get("/apply/respond")
                try await scene.resident.upload(item: item, files: [("extra\(index).jpg", try Fixture.bytes("id-card.jpg"))])
            }
            for index in 0..<3 {
                try await scene.staff.get(scene.householdURL)
                try await scene.staff.post("\(scene.householdURL)/notes", [("body", "Note \(index)")])
            }
            let after = try await statements()
            #expect(before == after, "\(before) statements before, \(after) after")
        }
    }

    @Test func aPostToAStepAfterSubmittingChangesAndCreatesNothing() async throws {
        try await TestApp.run { app in
            let browser = Browser(app)
            try await browser.submitApplication()
            let before = try await ApplicationRecord.query(on: app.db(.primary)).count()
            let response = try await browser.post(
                "/apply/address",
                [
                    ("street", "215 N Mesa Verde St"), ("unit", "Apt 2B"), ("city", "Fort Collins"), ("state", "CO"), ("zip", "80524"),
                    ("mailing_same", "yes"),
                ])
            #expect(response.status == .seeOther)
            #expect(response.headers.first(name: .location) == "/apply/submitted")
            #expect(try await ApplicationRecord.query(on: app.db(.primary)).count() == before)
            let member = try await browser.post(
                "/apply/members/new", [("first_name", "Ana"), ("last_name", "Lopez"), ("birthdate", "2018-01-02")])
            #expect(member.headers.first(name: .location) == "/apply/submitted")
            #expect(try await HouseholdMember.query(on: app.db(.primary)).count() == 2)
        }
    }

    @Test func anAddressTheVerifierCannotFindCanBeKeptAndStaffFindIt() async throws {
        try await TestApp.run { app in
            let browser = Browser(app)
            try await browser.applyUpToReview()
            try await browser.get("/apply/address?return=review")
            let typed = [
                ("street", "1 Nowhere Lane"), ("unit", ""), ("city", "Fort Collins"), ("state", "CO"), ("zip", "80521"),
                ("mailing_same", "yes"),
                ("return_to", "review"),
            ]
            let missing = try await browser.post("/apply/address", typed)
            #expect(missing.status == .unprocessableEntity)
            #expect(missing.text.contains("keep it as I typed it"))
            let confirm = try await browser.get("/apply/address/confirm")
            #expect(confirm.text.contains("1 Nowhere Lane"))
            let kept = try await browser.post("/apply/address/confirm", [("choice", "as_entered")])
            #expect(kept.headers.first(name: .location) == "/apply/review")
            try await browser.get("/apply/review")
            try await browser.post("/apply/submit", [("declaration", "yes")])
            try await makeStaff(app, role: .verifier)
            let staff = Browser(app)
            try await staff.signInStaff()
            let queue = try await staff.get("/staff?status=out_of_area").text
            #expect(queue.contains("Address not verified <span class=\"count\">(1)</span>"))
            #expect(queue.contains("Maria Lopez"))
        }
    }
}

extension Browser {
    /// The checklist item keys of the household's submitted application (as staff name them).
    func checklistItemsOfSubmitted(_ app: Application) async throws -> [String] {
        let application = try #require(try await ApplicationRecord.query(on: app.db(.primary)).filter(\.$status != .draft).first())
        return try await DocumentChecklist.load(for: application, on: app.db(.primary)).items.map(\.key)
    }
}
