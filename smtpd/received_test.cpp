#include "smtpd/received.h"

#include <gtest/gtest.h>

namespace mail::smtpd {
namespace {

TEST(ReceivedTest, PlainEsmtpOneRecipient) {
  TraceInfo t{"client.example",
              "192.0.2.1",
              "mx.example.test",
              true,
              "",
              "",
              "",
              "0006123ABCDEF1A2B3C",
              {"alice@example.test"},
              1796130370};
  EXPECT_EQ(received_header(t),
            "Received: from client.example ([192.0.2.1])\r\n"
            "\tby mx.example.test (mailsuite) with ESMTP id 0006123ABCDEF1A2B3C\r\n"
            "\tfor <alice@example.test>;\r\n"
            "\tTue, 01 Dec 2026 13:06:10 +0000\r\n");
}

TEST(ReceivedTest, TlsAuthAndSeveralRecipients) {
  TraceInfo t{"c",
              "::1",
              "mx",
              true,
              "TLSv1.3",
              "TLS_AES_256_GCM_SHA384",
              "alice@example.test",
              "Q",
              {"a@x.test", "b@x.test"},
              0};
  std::string h = received_header(t);
  EXPECT_NE(h.find("with ESMTPSA id Q"), std::string::npos) << h;
  EXPECT_NE(h.find("(using TLSv1.3 with cipher TLS_AES_256_GCM_SHA384)"), std::string::npos) << h;
  EXPECT_NE(h.find("(authenticated as alice@example.test)"), std::string::npos) << h;
  EXPECT_EQ(h.find("for <"), std::string::npos) << "several recipients are not disclosed: " << h;
}

TEST(ReceivedTest, HiddenUserStillSaysAuthenticated) {
  TraceInfo t{"c", "192.0.2.1", "mx", true, "TLSv1.3", "TLS_AES_128_GCM_SHA256", "", "Q", {}, 0};
  t.authenticated = true;
  std::string h = received_header(t);
  EXPECT_NE(h.find("with ESMTPSA id Q"), std::string::npos) << h;
  EXPECT_NE(h.find("(using TLSv1.3 with cipher TLS_AES_128_GCM_SHA256)"), std::string::npos) << h;
  EXPECT_EQ(h.find("authenticated as"), std::string::npos) << h;
}

TEST(ReceivedTest, Utf8SmtpProtocolNames) {
  TraceInfo t{"c", "192.0.2.1", "mx", true, "", "", "", "Q", {"j\xC3\xB6rg@x.test"}, 0, true};
  std::string h = received_header(t);
  EXPECT_NE(h.find("with UTF8SMTP id Q"), std::string::npos) << h;
  EXPECT_NE(h.find("for <j\xC3\xB6rg@x.test>"), std::string::npos) << h;
  t.tls_version = "TLSv1.3";
  t.authenticated_user = "a@x.test";
  EXPECT_NE(received_header(t).find("with UTF8SMTPSA id Q"), std::string::npos);
}

TEST(ReceivedTest, HeloIsSanitized) {
  TraceInfo t{"evil)\r\nX-Injected: 1", "192.0.2.1", "mx", false, "", "", "", "Q", {}, 0};
  std::string h = received_header(t);
  EXPECT_EQ(h.find("\r\nX-Injected"), std::string::npos) << h;
  EXPECT_NE(h.find("with SMTP id Q"), std::string::npos) << h;
}

}  // namespace
}  // namespace mail::smtpd
