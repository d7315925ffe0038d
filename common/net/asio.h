// One place for the Boost.Asio includes and aliases every daemon uses. g++ 12 needs
// <utility> before Asio's awaitable.hpp.
#pragma once

#include <utility>

#include <boost/asio.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/ssl.hpp>

namespace mail::net {

namespace asio = boost::asio;
namespace ssl = boost::asio::ssl;
using tcp = boost::asio::ip::tcp;
using boost::asio::awaitable;
using boost::asio::use_awaitable;
using namespace boost::asio::experimental::awaitable_operators;

// Completion token that returns errors as values: auto [ec, n] = co_await ...(as_tuple_awaitable).
constexpr auto use_nothrow = boost::asio::as_tuple(boost::asio::use_awaitable);

}  // namespace mail::net
