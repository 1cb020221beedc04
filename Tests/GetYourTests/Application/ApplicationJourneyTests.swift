import Fluent
import Testing
import Vapor
import VaporTesting

@testable import GetYour

@Suite("The application, from sign-up to submit (P3)")
struct ApplicationJourneyTests {
    @Test func aCompleteApplicationFromSignUpToSubmit() async throws {
        try await TestApp.run { app in
            let browser = Browser(app)
            try await browser.applyUpToReview()
            let review = try await browser.get("/apply/review")
            #expect(review.status == .ok)
            #expect(review.text.contains("Step 7 of 7"))
            #expect(review.text.contains("300 Civic Center Dr"))
            #expect(review.text.contains("Leo Lopez — 2015-09-02"))
            #expect(review.text.contains("Household size: 2"))
            #expect(review.text.contains("SNAP (food assistance, EBT)"))
            #expect(!review.text.contains("disabled"))
            let submitted = try await browser.post("/apply/submit", [("declaration", "yes")])
            #expect(submitted.headers.first(name: .location) == "/apply/submitted")
            let confirmation = try await browser.follow(submitted)
            #expect(confirmation.text.contains("Your application has been submitted"))
            let application = try #require(try await ApplicationRecord.query(on: app.db(.primary)).first())
            #expect(application.status == .submitted)
            #expect(confirmation.text.contains(application.reference ?? "missing"))
            #expect(try await Document.query(on: app.db(.primary)).count() == 3)
            // Read-only afterwards: the steps send the resident to the confirmation.
            let step = try await browser.get("/apply/household")
            #expect(step.headers.first(name: .location) == "/apply/submitted")
            #expect(try await browser.get("/apply").headers.first(name: .location) == "/dashboard")
        }
    }

    @Test func submittingTwiceCreatesOneSubmission() async throws {
        try await TestApp.run { app in
            let browser = Browser(app)
            try await browser.applyUpToReview()
            try await browser.get("/apply/review")
            let first = try await browser.post("/apply/submit", [("declaration", "yes")])
            let second = try await browser.post("/apply/submit", [("declaration", "yes")])
            #expect(first.headers.first(name: .location) == "/apply/submitted")
            #expect(second.headers.first(name: .location) == "/apply/submitted")
            let applications = try await ApplicationRecord.query(on: app.db(.primary)).all()
            #expect(applications.count == 1)
            let reference = applications.first?.reference
            #expect(try await browser.get("/apply/submitted").text.contains(reference ?? "missing"))
        }
    }

    @Test func theDeclarationIsRequiredAndAnIncompleteApplicationCannotBeSubmitted() async throws {
        try await TestApp.run { app in
            let browser = Browser(app)
            try await browser.applyUpToReview()
            try await browser.get("/apply/review")
            let noDeclaration = try await browser.post("/apply/submit", [])
            #expect(noDeclaration.status == .unprocessableEntity)
            #expect(noDeclaration.text.contains("Confirm that the information you gave is true"))
            // Remove an uploaded ID: review lists it and the server refuses to submit.
            let document = try #require(try await Document.query(on: app.db(.primary)).filter(\.$purpose == .memberID).first())
            try await browser.get("/apply/documents")
            try await browser.post("/apply/documents/file/\(document.id!.uuidString)/delete")
            let review = try await browser.get("/apply/review")
            #expect(review.text.contains("Before you can submit"))
            #expect(review.text.contains("disabled"))
            let refused = try await browser.post("/apply/submit", [("declaration", "yes")])
            #expect(refused.status == .unprocessableEntity)
            #expect(try await ApplicationRecord.query(on: app.db(.primary)).first()?.status == .draft)
        }
    }

    @Test func everythingIsKeptAcrossSignOutAndResumesAtTheFirstUnfinishedStep() async throws {
        try await TestApp.run { app in
            let browser = Browser(app)
            try await browser.signUp()
            try await browser.get("/apply/address")
            try await browser.post(
                "/apply/address",
                [("street", "300 Civic Center Dr"), ("city", "Fort Collins"), ("state", "CO"), ("zip", "80521"), ("mailing_same", "yes")])
            try await browser.get("/apply/household")
            try await browser.post("/apply/household", [("rent_own", "own"), ("duration", "over_3")])
            try await browser.post("/logout")
            let again = Browser(app)
            let signedIn = try await again.signIn(email: "maria.lopez@example.com", password: "amber kettle meadow stone")
            #expect(signedIn.headers.first(name: .location) == "/apply")
            let resume = try await again.get("/apply")
            #expect(resume.headers.first(name: .location) == "/apply/members")
            let household = try await again.get("/apply/household")
            #expect(
                household.text.contains("value=\"own\" id=\"field-rent-own-own\" checked")
                    || household.text.contains("value=\"own\" id=\"field-rent-own\" checked"))
            let address = try await again.get("/apply/address")
            #expect(address.text.contains("value=\"300 Civic Center Dr\""))
        }
    }

    /// P3's order: "Get ready" comes before creating an account, so anyone can read it.
    @Test func getReadyIsPublicAndLeadsToCreatingAnAccount() async throws {
        try await TestApp.run { app in
            let visitor = Browser(app)
            #expect(try await visitor.get("/").text.contains(#"href="/apply/get-ready""#))
            let page = try await visitor.get("/apply/get-ready")
            #expect(page.status == .ok)
            #expect(page.text.contains("Before you start") && page.text.contains(#"href="/signup""#))
            #expect(page.text.contains("SNAP"), "the documents to have at hand are listed")
            #expect(!page.text.contains("Step 1 of"))
            #expect(try await visitor.get("/apply/get-ready", headers: ["Cookie": "lang=es"]).status == .ok)
            // Signed in, it is the application's first step again; staff are not residents.
            try await visitor.signUp()
            let step = try await visitor.get("/apply/get-ready")
            #expect(step.status == .ok && step.text.contains(#"href="/apply/address""#))
            let staff = try await signedInAdmin(app)
            #expect(try await staff.get("/apply/get-ready").status == .forbidden)
        }
    }

    @Test func aStepNotReachedYetRedirectsToTheFirstUnfinishedOne() async throws {
        try await TestApp.run { app in
            let browser = Browser(app)
            try await browser.signUp()
            #expect(try await browser.get("/apply").headers.first(name: .location) == "/apply/get-ready")
            #expect(try await browser.get("/apply/documents").headers.first(name: .location) == "/apply/address")
            #expect(try await browser.get("/apply/review").headers.first(name: .location) == "/apply/address")
        }
    }

    @Test func changeLinksOnTheReviewReturnToTheReview() async throws {
        try await TestApp.run { app in
            let browser = Browser(app)
            try await browser.applyUpToReview()
            let form = try await browser.get("/apply/household?return=review")
            #expect(form.text.contains("name=\"return_to\" value=\"review\""))
            let saved = try await browser.post("/apply/household", [("rent_own", "own"), ("duration", "over_3"), ("return_to", "review")])
            #expect(saved.headers.first(name: .location) == "/apply/review")
        }
    }

    @Test func theApplicantIsTheFirstMemberPrefilledFromTheAccount() async throws {
        try await TestApp.run { app in
            let browser = Browser(app)
            try await browser.signUp()
            try await browser.get("/apply/address")
            try await browser.post(
                "/apply/address",
                [("street", "300 Civic Center Dr"), ("city", "Fort Collins"), ("state", "CO"), ("zip", "80521"), ("mailing_same", "yes")])
            let members = try await HouseholdMember.query(on: app.db(.primary)).all()
            #expect(members.count == 1)
            #expect(members.first?.isApplicant == true && members.first?.fullName == "Maria Lopez")
        }
    }
}
