import Fluent
import Foundation
import Synchronization
import Testing
import Vapor
import VaporTesting

@testable import GetYour

/// Records what it was asked to send; optionally slow, so two workers overlap.
final class CountingMailer: Mailer, Sendable {
    let sent = Mutex<[OutgoingEmail]>([])
    let pause: Duration

    init(pause: Duration = .zero) { self.pause = pause }

    func send(_ email: OutgoingEmail) async throws {
        if pause > .zero { try await Task.sleep(for: pause) }
        sent.withLock { $0.append(email) }
    }
}

/// Always refuses, as a mail provider in an outage does.
struct DownMailer: Mailer {
    func send(_ email: OutgoingEmail) async throws { throw DeliveryError.transient("http_503") }
}

@Suite("Notifications: the outbox, its worker and the providers (P8, issue 10)")
struct NotificationTests {
    func outbox(_ app: Application, _ kind: NotificationKind? = nil) async throws -> [OutboxMessage] {
        var query = OutboxMessage.query(on: app.db(.primary)).sort(\.$createdAt)
        if let kind { query = query.filter(\.$kind == kind) }
        return try await query.all()
    }

    @Test func eachDecisionQueuesItsMessageInThePersonsLanguageAndTheWorkerSendsIt() async throws {
        try await TestApp.run { app in
            let scene = try await StaffScene.make(app)
            // Submitting queued a welcome by email and by text message, in the same transaction.
            let welcome = try await outbox(app, .welcome)
            #expect(welcome.map(\.channel.rawValue).sorted() == ["email", "sms"])
            #expect(welcome.allSatisfy { $0.status == .pending && $0.language == "en" })
            let mail = try await app.sentMail().last { $0.contains("Kind: welcome") }
            #expect(mail?.contains("To: maria.lopez@example.com") == true)
            #expect(mail?.contains("Subject: We received your Get-Your application") == true)
            #expect(mail?.contains(scene.application.reference ?? "missing") == true)
            // The city's contact details close every email; the link asks the person to sign in.
            #expect(mail?.contains("Questions? Write to getyour@city.example or call 970-555-0100.") == true)
            #expect(mail?.contains("http://127.0.0.1:8080/dashboard") == true)
            let text = try await app.sentTexts().last
            #expect(text?.contains("To: +19705550142") == true)
            #expect(text?.contains("Get-Your: we received your application \(scene.application.reference ?? "missing")") == true)
            // Once sent, nothing personal stays in the outbox.
            for row in try await outbox(app, .welcome) {
                #expect(row.status == .sent && row.sentAt != nil && row.attempts == 1)
                #expect(row.recipient == nil && row.data == nil)
            }

            // The resident reads Spanish now: the next message is in Spanish.
            let user = try #require(try await User.find(email: "maria.lopez@example.com", on: app.db(.primary)))
            user.language = "es"
            try await user.update(on: app.db(.primary))
            try await scene.staff.get(scene.householdURL)
            let memberItem = try #require(try await scene.resident.checklistItemsOfSubmitted(app).first { $0.hasPrefix("member-") })
            try await scene.staff.decide(
                "\(scene.applicationPath)/request-info", [("items", memberItem), ("message", "Please upload the back of your ID <card>.")])
            let asked = try await app.sentMail().last { $0.contains("Kind: information_requested") }
            #expect(asked?.contains("Subject: El personal necesita más información para su solicitud de Get-Your") == true)
            #expect(asked?.contains("Please upload the back of your ID <card>.") == true)  // the text part, as typed
            #expect(asked?.contains("Please upload the back of your ID &lt;card&gt;.") == true)  // the HTML part, escaped
            #expect(asked?.contains("- ") == true)  // the requested items as a list
            #expect(asked?.contains("http://127.0.0.1:8080/apply/respond") == true)
            #expect(try await app.sentTexts().last?.contains("Get-Your: el personal necesita más documentos") == true)
        }
    }

    @Test func aDenialIsToldWithItsReason() async throws {
        try await TestApp.run { app in
            let scene = try await StaffScene.make(app)
            _ = try await app.sentMail()
            try await scene.staff.get(scene.householdURL)
            try await scene.staff.decide("\(scene.applicationPath)/deny", [("reason", "Your SNAP letter is from 2019.")])
            let denied = try await app.sentMail().last
            #expect(denied?.contains("Kind: denied") == true)
            #expect(denied?.contains("Your SNAP letter is from 2019.") == true)
        }
    }

    @Test func aRolledBackChangeQueuesNothingAndADoubleSubmitOneWelcome() async throws {
        try await TestApp.run { app in
            // A change that fails after queuing its message takes the message with it.
            let user = User(
                email: "x@example.com", passwordHash: "!", firstName: "X", lastName: "Y", phone: "", language: .en, role: .resident)
            try await user.create(on: app.db(.primary))
            await #expect(throws: Abort.self) {
                try await app.db(.primary).writeTransaction { db in
                    try await app.outbox(on: db).enqueue(.passwordChanged, to: user, data: MessageData(name: "X"))
                    throw Abort(.internalServerError)
                }
            }
            #expect(try await outbox(app).isEmpty)

            // A stale staff decision is refused and tells nobody anything.
            let scene = try await StaffScene.make(app)
            try await scene.staff.get(scene.householdURL)
            let stale = try await scene.staff.post("\(scene.applicationPath)/verify", [("revision", "99")])
            #expect(stale.status == .conflict)
            #expect(try await outbox(app, .verified).isEmpty)

            // Submitting twice (a double click) queues one welcome.
            let again = try await scene.resident.post("/apply/submit", [("declaration", "yes")])
            #expect(again.headers.first(name: .location) == "/apply/submitted")
            #expect(try await outbox(app, .welcome).filter { $0.channel == .email }.count == 1)
        }
    }

    @Test func dueEmailToOneAddressBecomesOneEmailButTextsStaySeparate() async throws {
        try await TestApp.run { app in
            let scene = try await StaffScene.make(app)
            _ = try await app.sentMail()
            _ = try await app.sentTexts()
            try await scene.staff.get(scene.householdURL)
            try await scene.staff.decide("\(scene.applicationPath)/verify")
            let user = try #require(try await User.find(email: "maria.lopez@example.com", on: app.db(.primary)))
            let outbox = app.outbox(on: app.db(.primary))
            for program in ["Recreation discounts", "Grocery rebate"] {
                try await outbox.enqueue(
                    .enrolled, to: user, household: scene.application.$household.id, data: MessageData(name: "Maria", program: program))
            }
            let before = try await app.sentMail().count
            let mail = try await app.sentMail()
            #expect(mail.count == before)  // the first call already sent everything due
            let joined = try #require(mail.last)
            #expect(joined.contains("Kind: verified+enrolled"))
            #expect(joined.contains("Subject: News about your Get-Your account"))
            #expect(joined.contains("Your application is verified"))
            #expect(joined.contains("You are now enrolled in Recreation discounts"))
            #expect(joined.contains("You are now enrolled in Grocery rebate"))
            #expect(joined.components(separatedBy: "Hello Maria,").count == 3)  // one greeting (text and HTML)
            // The three text messages were sent one by one.
            let texts = try await app.sentTexts()
            #expect(texts.filter { $0.contains("Kind: verified") || $0.contains("Kind: enrolled") }.count == 3)
        }
    }

    @Test func textsAreLimitedPerNumberAndCanBeTurnedOff() async throws {
        let settings = try TestApp.settings(variables: ["GETYOUR_NOTIFICATIONS_SMS_PER_NUMBER_PER_HOUR": "2"])
        try await TestApp.run(settings) { app in
            let resident = Browser(app)
            try await resident.signUp()
            let user = try #require(try await User.find(email: "maria.lopez@example.com", on: app.db(.primary)))
            let outbox = app.outbox(on: app.db(.primary))
            for kind in [NotificationKind.verified, .enrolled, .enrolled] {
                try await outbox.enqueue(kind, to: user, data: MessageData(name: "Maria", program: "Transit"))
            }
            let summary = try await OutboxWorker(app: app).run()
            #expect(summary.emails == 1 && summary.texts == 2 && summary.deferred == 1)
            let held = try await self.outbox(app).filter { $0.channel == .sms && $0.status == .pending }
            #expect(held.count == 1 && held.first?.attempts == 0)
            // An hour later the held one goes.
            app.clock.travel(by: 3601)
            #expect(try await OutboxWorker(app: app).run().texts == 1)

            // "No, email only" in Settings: no more text messages.
            try await resident.signIn(email: "maria.lopez@example.com", password: "amber kettle meadow stone")
            let page = try await resident.get("/settings")
            #expect(page.text.contains("Text messages"))
            let saved = try await resident.post(
                "/settings/profile",
                [("first_name", "Maria"), ("last_name", "Lopez"), ("phone", "(970) 555-0142"), ("language", "en"), ("texts", "no")])
            #expect(saved.headers.first(name: .location) == "/settings?saved=profile")
            try await outbox.enqueue(.verified, to: try #require(try await User.find(user.id, on: app.db(.primary))), data: MessageData())
            #expect(try await self.outbox(app).filter { $0.channel == .sms }.count == 3)
            #expect(try await resident.get("/settings").text.contains("name=\"texts\" value=\"no\" id=\"field-texts-no\" checked"))
        }
    }

    @Test func theWorkerRetriesA503WithBackOffGivesUpAfterTheLimitAndFailsA400AtOnce() async throws {
        try await ProviderStub.with([
            "GETYOUR_NOTIFICATIONS_MAX_ATTEMPTS": "3", "GETYOUR_NOTIFICATIONS_RETRY_BASE_SECONDS": "60",
        ]) { stub, app in
            let user = User(
                email: "ana@example.com", passwordHash: "!", firstName: "Ana", lastName: "Ruiz", phone: "", language: .es, role: .resident)
            try await user.create(on: app.db(.primary))
            try await app.outbox(on: app.db(.primary)).enqueue(.passwordChanged, to: user, data: MessageData(name: "Ana"))
            stub.script.withLock { $0 = [.serviceUnavailable, .serviceUnavailable, .serviceUnavailable] }
            let start = app.clock.now()
            #expect(try await OutboxWorker(app: app).run().retried == 1)
            var row = try #require(try await outbox(app).first)
            #expect(row.status == .pending && row.attempts == 1 && row.lastError == "http_503")
            // Equal jitter: between half and all of the 60-second base.
            let wait = row.nextAttemptAt.timeIntervalSince(start)
            #expect(wait >= 29 && wait <= 61, "waited \(wait)")
            // Not due yet: nothing is sent.
            #expect(try await OutboxWorker(app: app).run() == .init())
            app.clock.travel(by: 61)
            let before = app.clock.now()
            #expect(try await OutboxWorker(app: app).run().retried == 1)
            row = try #require(try await outbox(app).first)
            // Twice the base this time: 60 to 120 seconds after the worker's round began.
            let second = row.nextAttemptAt.timeIntervalSince(before)
            #expect(row.attempts == 2 && second >= 59.9 && second <= 125, "waited \(second)")
            app.clock.travel(by: 121)
            #expect(try await OutboxWorker(app: app).run().failed == 1)
            row = try #require(try await outbox(app).first)
            #expect(row.status == .failed && row.attempts == 3 && row.recipient == nil && row.data == nil)
            #expect(stub.recorded().count == 3)

            // A 400 is the provider saying no: failed at once, never tried again.
            try await app.outbox(on: app.db(.primary)).enqueue(.passwordChanged, to: user, data: MessageData(name: "Ana"))
            stub.script.withLock { $0 = [.badRequest] }
            #expect(try await OutboxWorker(app: app).run().failed == 1)
            app.clock.travel(by: 7200)
            #expect(try await OutboxWorker(app: app).run() == .init())
            #expect(stub.recorded().count == 4)
            let refused = try await outbox(app).last
            #expect(refused?.status == .failed && refused?.attempts == 1 && refused?.lastError == "http_400")
        }
    }

    @Test func sendGridGetsExactlyTheDocumentedRequest() async throws {
        try await ProviderStub.with { stub, app in
            let settings = app.settings.notifications
            let mailer = SendGridMailer(settings: settings, client: app.client, timeout: .seconds(3))
            let email = OutgoingEmail(to: "ana@example.com", subject: "Hola", text: "Texto", html: "<p>Texto</p>", kind: "welcome")
            try await mailer.send(email)
            let request = try #require(stub.recorded().first)
            #expect(request.method == "POST" && request.path == "/v3/mail/send")
            #expect(request.headers["authorization"] == "Bearer SG.test-key")
            #expect(request.headers["content-type"]?.hasPrefix("application/json") == true)
            let body = try #require(try JSONSerialization.jsonObject(with: Data(request.body.utf8)) as? [String: Any])
            let personalizations = body["personalizations"] as? [[String: Any]]
            #expect((personalizations?.first?["to"] as? [[String: String]])?.first?["email"] == "ana@example.com")
            #expect((body["from"] as? [String: String]) == ["email": "getyour@city.example", "name": "City of Example"])
            #expect((body["reply_to"] as? [String: String]) == ["email": "help@city.example"])
            #expect(body["subject"] as? String == "Hola")
            let content = body["content"] as? [[String: String]]
            #expect(content ?? [] == [["type": "text/plain", "value": "Texto"], ["type": "text/html", "value": "<p>Texto</p>"]])
            let tracking = body["tracking_settings"] as? [String: [String: Bool]]
            #expect(tracking?["click_tracking"]?["enable"] == false && tracking?["open_tracking"]?["enable"] == false)

            for (status, expected) in [
                (HTTPResponseStatus.badRequest, DeliveryError.permanent("http_400")),
                (.unauthorized, .permanent("http_401")),
                (.tooManyRequests, .transient("http_429")),
                (.internalServerError, .transient("http_500")),
                (.serviceUnavailable, .transient("http_503")),
            ] {
                stub.script.withLock { $0 = [status] }
                await #expect(throws: expected) { try await mailer.send(email) }
            }
            stub.delay.withLock { $0 = 6 }  // longer than the 3-second time-out, even on a busy machine
            await #expect(throws: DeliveryError.transient("timeout")) { try await mailer.send(email) }
            stub.delay.withLock { $0 = 0 }
            await #expect(throws: DeliveryError.permanent("invalid_address")) {
                try await mailer.send(OutgoingEmail(to: "not an address", subject: "", text: "", html: "", kind: "welcome"))
            }
        }
    }

    @Test func twilioGetsExactlyTheDocumentedRequest() async throws {
        try await ProviderStub.with { stub, app in
            let texter = TwilioTexter(settings: app.settings.notifications, client: app.client, timeout: .seconds(10))
            try await texter.send(OutgoingText(to: "(970) 555-0142", body: "Get-Your: hola & adiós", kind: "welcome"))
            let request = try #require(stub.recorded().first)
            #expect(request.method == "POST" && request.path == "/2010-04-01/Accounts/ACtest/Messages.json")
            #expect(request.headers["authorization"] == "Basic " + Data("ACtest:test-token".utf8).base64EncodedString())
            #expect(request.headers["content-type"]?.hasPrefix("application/x-www-form-urlencoded") == true)
            var form: [String: String] = [:]
            for pair in request.body.split(separator: "&") {
                let parts = pair.split(separator: "=", maxSplits: 1).map {
                    String($0).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? ""
                }
                form[parts[0]] = parts.count > 1 ? parts[1] : ""
            }
            #expect(form == ["To": "+19705550142", "From": "+19705550100", "Body": "Get-Your: hola & adiós"])
            stub.script.withLock { $0 = [.badRequest] }
            await #expect(throws: DeliveryError.permanent("http_400")) {
                try await texter.send(OutgoingText(to: "9705550142", body: "x", kind: "welcome"))
            }
            stub.script.withLock { $0 = [.tooManyRequests] }
            await #expect(throws: DeliveryError.transient("http_429")) {
                try await texter.send(OutgoingText(to: "9705550142", body: "x", kind: "welcome"))
            }
            await #expect(throws: DeliveryError.permanent("invalid_address")) {
                try await texter.send(OutgoingText(to: "555-0142", body: "x", kind: "welcome"))
            }
        }
    }

    @Test func twoWorkersAtOnceSendEveryMessageExactlyOnce() async throws {
        var settings = try TestApp.settings()
        settings.notifications.batchSize = 7
        try await TestApp.run(settings) { app in
            let mailer = CountingMailer(pause: .milliseconds(5))
            app.mailer = mailer
            let outbox = app.outbox(on: app.db(.primary))
            for index in 0..<60 {
                try await outbox.enqueueEmail(
                    .passwordChanged, to: "person\(index)@example.com", language: .en, user: nil, data: MessageData(name: "P\(index)"))
            }
            @Sendable func drain() async throws {
                while try await OutboxWorker(app: app).run().emails > 0 {}
            }
            async let first: Void = drain()
            async let second: Void = drain()
            _ = try await (first, second)
            let sent = mailer.sent.withLock { $0.map(\.to) }
            #expect(sent.count == 60)
            #expect(Set(sent).count == 60)
            #expect(try await self.outbox(app).allSatisfy { $0.status == .sent })
        }
    }

    @Test func aMailOutageNeverFailsTheRequestThatQueuedTheMessage() async throws {
        try await TestApp.run { app in
            try await Browser(app).signUp()
            app.mailer = DownMailer()
            let browser = Browser(app)
            try await browser.get("/password-reset")
            let answer = try await browser.post("/password-reset", [("email", "maria.lopez@example.com")])
            #expect(answer.headers.first(name: .location) == "/password-reset?sent=1")
            #expect(try await OutboxWorker(app: app).run().retried == 1)
            let reset = try await outbox(app, .passwordReset)
            #expect(reset.count == 1 && reset.first?.status == .pending && reset.first?.recipient == "maria.lopez@example.com")
        }
    }

    @Test func aNewStaffMemberIsInvitedByEmail() async throws {
        try await TestApp.run { app in
            try await runCommand(app, "create-staff", "--email", "Verifier@City.example", "--role", "verifier", "--link")
            let invitation = try #require(try await app.sentMail().last)
            #expect(invitation.contains("To: verifier@city.example") && invitation.contains("Kind: staff_invitation"))
            #expect(invitation.contains("Subject: Your Get-Your staff account"))
            #expect(invitation.contains("http://127.0.0.1:8080/login"))
            // The link sets the first password (and signs nobody in).
            let link = try #require(try await app.lastLink(to: "verifier@city.example"))
            #expect(link.hasPrefix("/password-reset/"))
            let browser = Browser(app)
            #expect(try await browser.get(link).text.contains("Choose your password"))
        }
    }

    @Test func noLinkInAMessageSignsAnyoneIn() async throws {
        try await TestApp.run { app in
            let browser = Browser(app)
            try await browser.get("/signup")
            try await browser.post("/signup", signUpForm())
            let link = try #require(try await app.lastLink(to: "maria.lopez@example.com"))
            // Opened on another device (or by someone who got the email): confirmed, not signed in.
            let elsewhere = Browser(app)
            try await elsewhere.get(link)
            let confirmed = try await elsewhere.post(link)
            #expect(confirmed.headers.first(name: .location) == "/login?confirmed=1")
            #expect(try await elsewhere.follow(confirmed).text.contains("Your email address is confirmed"))
            #expect(try await elsewhere.get("/apply").headers.first(name: .location)?.hasPrefix("/login") == true)
            #expect(try await User.query(on: app.db(.primary)).first()?.emailConfirmedAt != nil)
        }
    }

    @Test func staffSeeDeliveryStatusButNeverTheTextAndAListOfFailures() async throws {
        try await TestApp.run { app in
            let scene = try await StaffScene.make(app)
            _ = try await app.sentMail()
            let user = try #require(try await User.find(email: "maria.lopez@example.com", on: app.db(.primary)))
            try await app.outbox(on: app.db(.primary)).enqueueEmail(
                .verified, to: "not-an-address", language: .en, user: user.id, household: scene.application.$household.id,
                data: MessageData(name: "Maria"))
            app.mailer = SendGridMailer(settings: app.settings.notifications, client: app.client, timeout: .seconds(10))
            #expect(try await OutboxWorker(app: app).run().failed == 1)
            let page = try await scene.staff.get(scene.householdURL)
            for text in ["Messages to the household", "Application received", "Text message", "Sent", "Failed", "invalid_address"] {
                #expect(page.text.contains(text), "missing \(text)")
            }
            #expect(!page.text.contains("Get-Your: we received your application"))
            #expect(!page.text.contains("not-an-address"))
            let failed = try await scene.staff.get("/staff/messages/failed")
            #expect(failed.status == .ok)
            #expect(failed.text.contains("invalid_address") && failed.text.contains(scene.householdURL))
            #expect(try await scene.resident.get("/staff/messages/failed").status == .notFound)
        }
    }

    @Test func everyPageSaysHowToReachTheCity() async throws {
        try await TestApp.run { app in
            for path in ["/", "/no-such-page"] {
                let page = try await Browser(app).get(path)
                #expect(page.text.contains("<a href=\"mailto:getyour@city.example\">getyour@city.example</a>"), "\(path)")
                #expect(page.text.contains("<a href=\"tel:+19705550100\">970-555-0100</a>"), "\(path)")
            }
        }
    }

    @Test func textMessagesFitOneSegmentAndHTMLEscapesWhatPeopleTyped() throws {
        let messages = try Messages.load(from: TestApp.root.appendingPathComponent("settings/messages"))
        let composer = MessageComposer(messages: messages, contact: CityContact(email: "getyour@fcgov.com", phone: "970-221-6600"))
        let data = MessageData(
            name: "Maria", link: "https://getyour.fcgov.com/dashboard", reason: "x", program: "Recreation discounts",
            date: "March 31, 2027", reference: "GY-ABCD2345")
        for language in Language.allCases {
            for kind in NotificationKind.allCases where kind.sendsText {
                let text = composer.text(kind, data, language: language)
                #expect(text.count <= 160, "\(kind) in \(language) is \(text.count) characters")
                #expect(!text.contains("{"), "\(kind) in \(language) has a placeholder left")
            }
            for kind in NotificationKind.allCases {
                let email = composer.email([(kind, data)], language: language)
                #expect(!email.subject.contains("notify.") && !email.text.contains("{"), "\(kind) in \(language)")
            }
        }
        let html = MessageComposer.html(
            subject: "<b>", paragraphs: ["Hi <script>alert(1)</script> & https://x.example/a?b=1&c=2"], language: .en)
        #expect(html.contains("Hi &lt;script&gt;alert(1)&lt;/script&gt; &amp; <a href=\"https://x.example/a?b=1&amp;c=2\">"))
        #expect(!html.contains("<script>") && html.contains("<title>&lt;b&gt;</title>"))
    }

    @Test(arguments: [(1, 30.0, 60.0), (2, 60.0, 120.0), (3, 120.0, 240.0), (9, 1800.0, 3600.0)])
    func retriesBackOffExponentiallyWithJitterUpToACap(attempt: Int, low: Double, high: Double) {
        let policy = RetryPolicy(maxAttempts: 10, base: 60, cap: 3600)
        #expect(policy.delay(afterAttempt: attempt, random: { 0 }) == low)
        #expect(policy.delay(afterAttempt: attempt, random: { 1 }) == high)
        #expect(policy.delay(afterAttempt: 10) == nil)
    }
}
