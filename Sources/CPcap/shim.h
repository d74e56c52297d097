#ifndef WSSNIFF_CPCAP_SHIM_H
#define WSSNIFF_CPCAP_SHIM_H
#include <pcap/pcap.h>
#endif
