//! The `/notifications` namespace: an authenticated socket joins its
//! user's room, where [`super::delivery`] emits `notification` events.

use std::future::Future;
use std::pin::Pin;

use socketioxide::extract::SocketRef;

use super::connection::Connection;
use crate::live::rooms::user_room;

pub fn on_connect()
-> impl FnOnce(SocketRef) -> Pin<Box<dyn Future<Output = ()> + Send>> + Clone + Send + Sync + 'static
{
    move |socket: SocketRef| {
        match socket.extensions.get::<Connection>() {
            Some(connection) => socket.join(user_room(connection.user())),
            None => {
                let _ = socket.disconnect();
            }
        }
        Box::pin(async {})
    }
}
