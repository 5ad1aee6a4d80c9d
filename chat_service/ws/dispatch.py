"""One typed command -> one action call -> frames for the caller."""

from __future__ import annotations

from chat_service.actions import consent as consent_actions
from chat_service.actions import conversations as conv_actions
from chat_service.actions import messages as msg_actions
from chat_service.actions import typing_status
from chat_service.auth import Identity, Role
from chat_service.errors import Forbidden
from chat_service.fanout import Connection
from chat_service.protocol.commands import (
    Command,
    ConsentRespond,
    ConsentWithdraw,
    ConversationClose,
    ConversationJoin,
    HistoryFetch,
    MessageSend,
    Ping,
    Typing,
)
from chat_service.protocol.events import History, Pong
from chat_service.services import Services


async def dispatch(
    services: Services, conn: Connection, identity: Identity, command: Command
) -> None:
    match command:
        case MessageSend():
            result = await msg_actions.check_send_message(services, identity, command)
            conn.send(result.ack.frame())
            for warning in result.warnings:
                conn.send(warning.frame())
            # The ack goes on the wire before the work that follows it (rendering for every
            # participant, the consent request), not after that work's first pause.
            await conn.hand_over()
            await msg_actions.finish_send(services, result)
        case HistoryFetch():
            conversation, messages, has_more = await msg_actions.fetch_history(
                services, identity, command.conversation_id, command.after_seq
            )
            conn.send(
                History(
                    conversation_id=conversation.id, messages=messages, has_more=has_more
                ).frame()
            )
        case ConversationJoin():
            await conv_actions.do_join(services, identity, command.conversation_id)
        case ConversationClose():
            await conv_actions.do_close(services, identity, command.conversation_id)
        case Typing():
            await typing_status.do_typing(services, identity, command.conversation_id, conn)
        case Ping():
            conn.send(Pong().frame())
        case ConsentRespond():
            await consent_actions.respond(services, identity, command, conn.id)
        case ConsentWithdraw():
            if identity.role is not Role.CUSTOMER:
                raise Forbidden("only the customer withdraws consent over the socket")
            await consent_actions.withdraw(services, identity.sub, command, identity, conn.id)
