#include <string.h>
#include "mpi_shim.h"

MPI_Comm gfn_mpi_comm_world(void) { return MPI_COMM_WORLD; }
MPI_Datatype gfn_mpi_float(void) { return MPI_FLOAT; }
MPI_Datatype gfn_mpi_double(void) { return MPI_DOUBLE; }
MPI_Datatype gfn_mpi_byte(void) { return MPI_BYTE; }
MPI_Datatype gfn_mpi_int64(void) { return MPI_INT64_T; }
MPI_Op gfn_mpi_sum(void) { return MPI_SUM; }
MPI_Op gfn_mpi_max(void) { return MPI_MAX; }
int gfn_mpi_success(void) { return MPI_SUCCESS; }

int gfn_mpi_init(void) {
    int initialized = 0;
    MPI_Initialized(&initialized);
    if (initialized) return MPI_SUCCESS;
    // Errors come back as codes (checked by the Swift side) instead of aborting inside the library.
    int rc = MPI_Init(NULL, NULL);
    if (rc == MPI_SUCCESS) MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
    return rc;
}

void gfn_mpi_error_string(int code, char *buffer, int capacity) {
    if (capacity <= 0) return;
    char text[MPI_MAX_ERROR_STRING];
    int length = 0;
    if (MPI_Error_string(code, text, &length) != MPI_SUCCESS) length = 0;
    if (length >= capacity) length = capacity - 1;
    memcpy(buffer, text, (size_t)length);
    buffer[length] = 0;
}
