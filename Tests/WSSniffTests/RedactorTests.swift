import Testing
import WSSniff

@Suite struct RedactorTests {
    let redactor = Redactor()

    @Test func secretValuesBecomeFingerprintsAndProofFieldsStay() {
        let text =
            #"{"auth":{"token":"s3cret-token","password":"hunter2","deviceToken":""},"#
            + #""device":{"nonce":"n-1","publicKey":"pk","signature":"sig"},"apiKey" : "k\"q"}"#
        let redacted = self.redactor.jsonText(text)
        #expect(!redacted.contains("s3cret-token"))
        #expect(!redacted.contains("hunter2"))
        #expect(!redacted.contains(#"k\"q"#))
        #expect(redacted.contains(#""token":"\#(Redactor.placeholder(for: "s3cret-token"))""#))
        #expect(redacted.contains(#""deviceToken":"""#), "an empty value has nothing to hide")
        #expect(redacted.contains(#""nonce":"n-1","publicKey":"pk","signature":"sig""#))
        #expect(Redactor.placeholder(for: "s3cret-token").hasPrefix("<redacted sha256:"))
        #expect(Redactor(enabled: false).jsonText(text) == text)
    }

    @Test func aCutValueIsStillHidden() {
        let redacted = self.redactor.jsonText(#"{"token":"abcdefgh"#)
        #expect(!redacted.contains("abcdefgh"))
    }

    @Test func credentialsInHeaders() {
        #expect(!self.redactor.header(name: "Authorization", value: "Bearer xyz123").contains("xyz123"))
        #expect(!self.redactor.header(name: "Cookie", value: "sid=abc").contains("abc"))
        let subprotocol = self.redactor.header(
            name: "Sec-WebSocket-Protocol",
            value: "v1, authorization.bearer.eyJhbGciOi.payload.sig"
        )
        #expect(subprotocol.hasPrefix("v1, authorization.bearer.<redacted sha256:"))
        #expect(!subprotocol.contains("eyJhbGciOi"))
        #expect(self.redactor.header(name: "Host", value: "127.0.0.1") == "127.0.0.1")
    }

    @Test func secretsThatAreNotStrings() {
        let redacted = self.redactor.jsonText(
            #"{"auth":{"password":123456,"token":["abc",{"x":1}],"deviceToken":null}}"#
        )
        #expect(!redacted.contains("123456"))
        #expect(!redacted.contains("abc"))
        #expect(redacted.contains(#""deviceToken":null"#))
        #expect(redacted.contains(#""password":"<redacted sha256:"#))
    }

    @Test func credentialsInTheRequestTarget() {
        let target = self.redactor.target("/ws?client=cli&token=s3cret&access_token=t2")
        #expect(!target.contains("s3cret") && !target.contains("t2"))
        #expect(target.hasPrefix("/ws?client=cli&token=<redacted sha256:"))
        #expect(self.redactor.target("/plain") == "/plain")
    }
}
