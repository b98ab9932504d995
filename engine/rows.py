"""Writing a step's rows through SQLAlchemy Core, where the ORM's unit of work costs.

A step changes a handful of mapped objects (its case, the completed inbox row) and adds a few
(the next inbox rows). Flushing them through the ORM costs several times what the statements
do; here each is written with a Core statement built once per shape, and the object is then
marked clean, exactly as a flush leaves it: later ORM changes to it are flushed as usual, a
versioned row is updated under its version (StaleDataError when another transaction saved it
meanwhile), and a savepoint rolled back expires it (the timer sweep steps each case in one).
Objects that do not fit (pending relationships, defaults that need SQL) take the ORM's flush.
"""
from __future__ import annotations

from sqlalchemy import bindparam
from sqlalchemy.orm import Session, make_transient_to_detached
from sqlalchemy.orm.attributes import NO_VALUE, instance_state
from sqlalchemy.orm.exc import StaleDataError

_BUILT: dict[tuple, object] = {}  # (kind, class, columns) -> the Core statement


def _built(key: tuple, build):
    statement = _BUILT.get(key)
    if statement is None:
        statement = _BUILT[key] = build()
    return statement


def save(session: Session, obj) -> None:
    """Write the changed columns of a persistent object in one UPDATE (none when nothing
    changed), under its version counter when it has one."""
    state = instance_state(obj)
    if state.key is None:  # not in the database yet (a case being filed): the ORM inserts it
        session.flush([obj])
        return
    mapper = state.mapper
    columns = mapper.column_attrs
    changed = [key for key in state.committed_state if key in columns]
    if len(changed) != len(state.committed_state):
        session.flush([obj])  # something a Core UPDATE would not carry: the ORM does it
        return
    values = {}
    for key in changed:
        before, now = state.committed_state[key], state.dict.get(key, NO_VALUE)
        if now is NO_VALUE:
            session.flush([obj])
            return
        if before is NO_VALUE or not columns[key].columns[0].type.compare_values(before, now):
            values[key] = now
    version = mapper.version_id_col
    version_key = mapper.get_property_by_column(version).key if version is not None else None
    if version_key is not None and version_key not in state.dict:  # expired (a savepoint rolled back): the ORM reloads it
        session.flush([obj])
        return
    if not values:
        state._commit_all(state.dict, session.identity_map)
        return
    (pk_column,) = mapper.primary_key
    (pk,) = state.identity
    params = {f"v_{key}": value for key, value in values.items()}
    params["w_pk"] = pk
    if version is not None:
        current = state.dict[version_key]
        params["w_version"], params[f"v_{version_key}"] = current, current + 1
    keys = tuple(sorted(values))

    def build():
        table = mapper.local_table
        sets = {columns[k].columns[0].key: bindparam(f"v_{k}", type_=columns[k].columns[0].type) for k in keys}
        where = [pk_column == bindparam("w_pk")]
        if version is not None:
            sets[version.key] = bindparam(f"v_{version_key}")
            where.append(version == bindparam("w_version"))
        return table.update().where(*where).values(sets)

    statement = _built(("update", mapper.class_, keys), build)
    if session.execute(statement, params).rowcount != 1:
        raise StaleDataError(f"{mapper.class_.__name__} {pk} was changed or deleted by another transaction")
    if version is not None:
        state.dict[version_key] = current + 1
    state._commit_all(state.dict, session.identity_map)
    session._register_altered([state])  # a savepoint rolled back expires it, as after a flush


def add(session: Session, obj) -> None:
    """Insert a new object (given every column it needs; unset ones are NULL or their plain
    default) in one INSERT and attach it to the session as persistent, its id known."""
    state = instance_state(obj)
    mapper = state.mapper
    (pk_column,) = mapper.primary_key
    pk_key = mapper.get_property_by_column(pk_column).key
    values, unset = {}, []
    for prop in mapper.column_attrs:
        column = prop.columns[0]
        if prop.key == pk_key:
            continue
        if prop.key in state.dict:
            values[prop.key] = state.dict[prop.key]
        elif column.server_default is not None or (column.default is not None and not column.default.is_scalar):
            session.add(obj)  # a default computed in SQL or by a function: the ORM knows how
            session.flush([obj])
            return
        elif column.default is not None:
            values[prop.key] = column.default.arg
        else:
            unset.append(prop.key)  # left out, as the ORM does: SQL NULL (a JSON column would store 'null')
    keys = tuple(values)

    def build():
        table = mapper.local_table
        return table.insert().values({mapper.column_attrs[k].columns[0].key: bindparam(f"v_{k}") for k in keys})

    statement = _built(("insert", mapper.class_, keys), build)
    result = session.execute(statement, {f"v_{k}": v for k, v in values.items()})
    for key, value in values.items():
        state.dict[key] = value
    for key in unset:
        state.dict[key] = None
    state.dict[pk_key] = result.inserted_primary_key[0]
    make_transient_to_detached(obj)
    session.add(obj)
    session._register_altered([state])
