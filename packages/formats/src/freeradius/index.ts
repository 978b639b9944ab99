export { freeradiusDetailFormat, readDetailRecord, mapDetailRecord, RADIUS_SOURCE, type DetailRecord } from './detail';
export { parseEventTimestamp, parseDetailHeader, type RadiusTime } from './time';
export { BlankLineSplitter } from './blank-line-splitter';
