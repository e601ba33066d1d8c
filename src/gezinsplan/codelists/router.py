"""HTTP endpoints for the codelists: the vocabulary a frontend builds its pick lists from."""

import hashlib
from typing import Annotated

from fastapi import APIRouter, Path, Response

from gezinsplan.access.dependencies import DirectoryReader
from gezinsplan.codelists import registry
from gezinsplan.codelists.schemas import CodelistIndex, CodelistRead, CodelistSummary
from gezinsplan.errors import NotFound
from gezinsplan.kit.responses import ETAG_HEADER, problems

router = APIRouter(prefix="/codelists", tags=["codelists"])

CodelistName = Annotated[
    str,
    Path(max_length=60, description="The list's name.", examples=["life-domains"]),
]


@router.get("", summary="List the codelists", responses=problems(401, 403))
def list_codelists(_actor: DirectoryReader) -> CodelistIndex:
    """Every codelist with its version and source, without its entries."""
    return CodelistIndex(
        items=[
            CodelistSummary.model_validate(codelist, from_attributes=True)
            for codelist in registry.all_codelists().values()
        ]
    )


@router.get(
    "/{name}",
    summary="Read a codelist",
    responses={200: {"headers": ETAG_HEADER}, **problems(401, 403, 404)},
)
def read_codelist(name: CodelistName, _actor: DirectoryReader, response: Response) -> CodelistRead:
    """The list's entries, with Dutch and English labels and their validity dates."""
    try:
        codelist = registry.get(name)
    except registry.UnknownCodelistError:
        raise NotFound("No such codelist.") from None
    read = CodelistRead.model_validate(codelist, from_attributes=True)
    digest = hashlib.sha256(read.model_dump_json().encode()).hexdigest()[:16]
    response.headers["ETag"] = f'"{digest}"'
    return read
