//! TCP endpoints on smoltcp sockets: a client that connects and sends
//! ([`client`]), a server that listens and accepts ([`server`]), and a
//! generator of many client connections ([`clients`]).

pub mod client;
pub mod clients;
pub mod lines;
pub mod server;
pub mod stack;

pub use client::TcpClient;
pub use clients::TcpClients;
pub use server::TcpServer;
