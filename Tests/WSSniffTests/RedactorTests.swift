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

/// Which names are secret: the byte-level answer for ASCII names must be the one Unicode lowercasing and the string
/// search give, and a non-ASCII name must still be judged after Unicode lowercasing.
@Suite struct SecretNameTests {
    /// The rule as first written: Unicode lowercasing, an exact-name exclusion list, a substring search.
    private func reference(_ name: String) -> Bool {
        let lowered = name.lowercased()
        if ["nonce", "publickey", "signature", "tokenizer", "maxtokens"].contains(lowered) { return false }
        return [
            "token", "password", "passwd", "secret", "authorization", "cookie", "apikey", "api_key", "credential",
            "privatekey", "private_key", "bearer",
        ]
        .contains { lowered.contains($0) }
    }

    @Test func agreesWithTheUnicodeRule() {
        var names = [
            "", "t", "token", "Token", "TOKEN", "deviceToken", "bootstrapTOKEN", "tokenizer", "Tokenizer", "maxTokens",
            "maxTokensX", "xmaxtokens", "tokenizers", "nonce", "NONCE", "publicKey", "signature", "signatures",
            "password", "passwd", "PassWd", "secret", "clientSecret", "authorization", "Cookie", "set-cookie",
            "apiKey", "api_key", "API-KEY", "credentials", "privateKey", "private_key", "bearer", "Bearer.x", "tok",
            "oken", "tokeN1", "a\r\ntoken", "to\u{212A}en", "TO\u{212A}EN", "\u{212A}", "nonçe", "tökén", "İtoken",
            "passwörd", "secret\u{301}", "pass\u{0}word", "p_a_s_s",
        ]
        // Every part and exclusion in every position of a longer name, with its case flipped letter by letter.
        for word in ["token", "password", "cookie", "api_key", "nonce", "maxtokens", "bearer"] {
            for prefix in ["", "x", "X_", "é"] {
                for suffix in ["", "s", "-Id", "ü"] {
                    names.append(prefix + word + suffix)
                    names.append(prefix + word.uppercased() + suffix)
                    for flip in word.indices {
                        var flipped = word
                        flipped.replaceSubrange(flip...flip, with: word[flip].uppercased())
                        names.append(prefix + flipped + suffix)
                    }
                }
            }
        }
        for name in names {
            #expect(Redactor.isSecretName(name) == self.reference(name), "\(name.debugDescription)")
        }
        #expect(Redactor.isSecretName("to\u{212A}en"))
        #expect(!Redactor.isSecretName("maxTokens"))
    }
}
